// Writes bench/results/microvm.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the microvm table of bench/RESULTS.md from those runs.
import { resultsFile } from "../lib/results";

const header = [
  "| date (UTC) | command | accel | n | create→HTTP 200 p50 / p95 | raw QEMU p50 | ratio (≤ 1.3) | idle VMs (HTTP 200 / asked) | host memory per VM (PSS) | VMM beyond guest RAM (w/o TCG cache) | wall | end state | machine |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
];

export type MicrovmRun = {
  command: string;
  date: string;
  status: "completed" | "failed" | "timeout" | "interrupted";
  accelerator: string;
  n: number;
  p50Ms: number | null;
  p95Ms: number | null;
  rawQemuP50Ms: number | null;
  ratioToRawQemu: number | null;
  targets: { ratio: boolean | null; vmmOverheadVsFirecracker5MiB: boolean | null };
  idleRequested: number;
  idleAnswered: number;
  hostMemKiBPerInstance: number | null;
  vmmOverheadKiB: number | null;
  vmmOverheadNoTcgKiB: number | null;
  wallS: number;
  cleanedUp: boolean;
  machine: { cores: number; loadAvg: number[]; [k: string]: unknown };
  [extra: string]: unknown;
};

const ms = (x: number | null) => (x === null ? "–" : `${Math.round(x).toLocaleString("en-US")}`);
const mib = (kib: number | null) => (kib === null ? "–" : `${(kib / 1024).toFixed(1)} MiB`);

function row(r: MicrovmRun): string {
  const lat = `${ms(r.p50Ms)} / ${ms(r.p95Ms)} ms`;
  const ratio =
    r.ratioToRawQemu === null ? "–" : `${r.ratioToRawQemu}${r.targets.ratio ? "" : " (**missed**)"}`;
  const idle = r.idleRequested ? `${r.idleAnswered} / ${r.idleRequested}` : "– (skipped)";
  const vmm = `${mib(r.vmmOverheadKiB)} (${mib(r.vmmOverheadNoTcgKiB)})`;
  const state = `${r.status === "completed" ? "completed" : `**${r.status}**`}${r.cleanedUp ? ", cleaned up" : ", **leftovers**"}`;
  const machine = `${r.machine.cores} cores, load ${r.machine.loadAvg.map((x) => x.toFixed(1)).join(" ")}`;
  return `| ${r.date.slice(0, 16).replace("T", " ")} | \`${r.command}\` | ${r.accelerator} | ${r.n} | ${lat} | ${ms(r.rawQemuP50Ms)} ms | ${ratio} | ${idle} | ${mib(r.hostMemKiBPerInstance)} | ${vmm} | ${r.wallS} s | ${state} | ${machine} |`;
}

const file = resultsFile<MicrovmRun>({
  name: "microvm",
  section: "Micro-VM (`npm run bench:microvm`)",
  header,
  row,
  keep: (earlier) => earlier.slice(0, 19),
});
export const { recordRun, renderTable } = file;
