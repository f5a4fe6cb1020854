// Writes bench/results/microvm.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the microvm table of bench/RESULTS.md from those runs.
import { dateCell, loadCell, mibCell, msCell, type RunBase, resultsFile, stateCell } from "../lib/results";

const header = [
  "| date (UTC) | command | accel | n | create→HTTP 200 p50 / p95 | raw QEMU p50 | ratio (≤ 1.3) | idle VMs (HTTP 200 / asked) | host memory per VM (PSS) | VMM beyond guest RAM (w/o TCG cache) | wall | end state | machine |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
];

export type MicrovmRun = RunBase & {
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
};

function row(r: MicrovmRun): string {
  const lat = `${msCell(r.p50Ms)} / ${msCell(r.p95Ms)} ms`;
  const ratio =
    r.ratioToRawQemu === null ? "–" : `${r.ratioToRawQemu}${r.targets.ratio ? "" : " (**missed**)"}`;
  const idle = r.idleRequested ? `${r.idleAnswered} / ${r.idleRequested}` : "– (skipped)";
  const vmm = `${mibCell(r.vmmOverheadKiB)} (${mibCell(r.vmmOverheadNoTcgKiB)})`;
  const machine = `${r.machine.cores} cores, load ${loadCell(r.machine.loadAvg)}`;
  return `| ${dateCell(r.date)} | \`${r.command}\` | ${r.accelerator} | ${r.n} | ${lat} | ${msCell(r.rawQemuP50Ms)} ms | ${ratio} | ${idle} | ${mibCell(r.hostMemKiBPerInstance)} | ${vmm} | ${r.wallS} s | ${stateCell(r)} | ${machine} |`;
}

const file = resultsFile<MicrovmRun>({
  name: "microvm",
  section: "Micro-VM (`npm run bench:microvm`)",
  header,
  row,
  keep: (earlier) => earlier.slice(0, 19),
});
export const { recordRun, renderTable } = file;
