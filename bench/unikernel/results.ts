// Writes bench/results/unikernel.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the unikernel table of bench/RESULTS.md from those runs.
import { resultsFile } from "../lib/results";

const header = [
  "| date (UTC) | command | accel | image (≤ 512 KiB) | n | create→HTTP 200 p50 / p95 | micro-VM p50 | ratio (≤ 0.1) | idle (HTTP 200 / asked) | host memory per instance (PSS) | VMM beyond guest RAM (w/o TCG cache) | wall | end state | machine |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
];

export type UnikernelRun = {
  command: string;
  date: string;
  status: "completed" | "failed" | "timeout" | "interrupted";
  accelerator: string;
  imageKiB: number;
  n: number;
  p50Ms: number | null;
  p95Ms: number | null;
  microvmP50Ms: number | null;
  ratioToMicrovm: number | null;
  /** p95 ÷ the micro-VM run's p95 (runs before 2026-11-22 23:00 lack it). */
  microvmP95Ms?: number | null;
  p95RatioToMicrovm?: number | null;
  targets: { imageKiB: boolean; ratio: boolean | null; p95Ratio?: boolean | null };
  idleRequested: number;
  idleAnswered: number;
  hostMemKiBPerInstance: number | null;
  vmmOverheadKiB: number | null;
  vmmOverheadNoTcgKiB: number | null;
  wallS: number;
  cleanedUp: boolean;
  machine: { cores: number; loadAvg: number[]; loadAvgAtStart: number[]; [k: string]: unknown };
  [extra: string]: unknown;
};

const ms = (x: number | null) => (x === null ? "–" : `${Math.round(x).toLocaleString("en-US")}`);
const mib = (kib: number | null) => (kib === null ? "–" : `${(kib / 1024).toFixed(1)} MiB`);
const missed = (ok: boolean | null) => (ok === false ? " (**missed**)" : "");
const load = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" ");

function row(r: UnikernelRun): string {
  const image = `${r.imageKiB.toFixed(1)} KiB${missed(r.targets.imageKiB)}`;
  const lat = `${ms(r.p50Ms)} / ${ms(r.p95Ms)} ms`;
  const p95 =
    r.p95RatioToMicrovm == null ? "" : `; p95 ${r.p95RatioToMicrovm}${missed(r.targets.p95Ratio ?? null)}`;
  const ratio = r.ratioToMicrovm === null ? "–" : `${r.ratioToMicrovm}${missed(r.targets.ratio)}${p95}`;
  const idle = r.idleRequested ? `${r.idleAnswered} / ${r.idleRequested}` : "– (skipped)";
  const vmm = `${mib(r.vmmOverheadKiB)} (${mib(r.vmmOverheadNoTcgKiB)})`;
  const state = `${r.status === "completed" ? "completed" : `**${r.status}**`}${r.cleanedUp ? ", cleaned up" : ", **leftovers**"}`;
  const machine = `${r.machine.cores} cores, load ${load(r.machine.loadAvgAtStart)} at start, ${load(r.machine.loadAvg)} at end`;
  return `| ${r.date.slice(0, 16).replace("T", " ")} | \`${r.command}\` | ${r.accelerator} | ${image} | ${r.n} | ${lat} | ${ms(r.microvmP50Ms)} ms | ${ratio} | ${idle} | ${mib(r.hostMemKiBPerInstance)} | ${vmm} | ${r.wallS} s | ${state} | ${machine} |`;
}

const file = resultsFile<UnikernelRun>({
  name: "unikernel",
  section: "Unikernel (`npm run bench:unikernel`)",
  header,
  row,
  keep: (earlier) => earlier.slice(0, 19),
});
export const { recordRun, renderTable } = file;
