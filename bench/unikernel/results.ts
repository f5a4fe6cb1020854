// Writes bench/results/unikernel.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the unikernel table of bench/RESULTS.md from those runs.
import { dateCell, loadCell, mibCell, msCell, type RunBase, resultsFile, stateCell } from "../lib/results";

const header = [
  "| date (UTC) | command | accel | image (≤ 512 KiB) | n | create→HTTP 200 p50 / p95 | micro-VM p50 | ratio (≤ 0.1) | idle (HTTP 200 / asked) | host memory per instance (PSS) | VMM beyond guest RAM (w/o TCG cache) | wall | end state | machine |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
];

export type UnikernelRun = RunBase & {
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
  machine: { cores: number; loadAvg: number[]; loadAvgAtStart: number[]; [k: string]: unknown };
};

const missed = (ok: boolean | null) => (ok === false ? " (**missed**)" : "");

function row(r: UnikernelRun): string {
  const image = `${r.imageKiB.toFixed(1)} KiB${missed(r.targets.imageKiB)}`;
  const lat = `${msCell(r.p50Ms)} / ${msCell(r.p95Ms)} ms`;
  const p95 =
    r.p95RatioToMicrovm == null ? "" : `; p95 ${r.p95RatioToMicrovm}${missed(r.targets.p95Ratio ?? null)}`;
  const ratio = r.ratioToMicrovm === null ? "–" : `${r.ratioToMicrovm}${missed(r.targets.ratio)}${p95}`;
  const idle = r.idleRequested ? `${r.idleAnswered} / ${r.idleRequested}` : "– (skipped)";
  const vmm = `${mibCell(r.vmmOverheadKiB)} (${mibCell(r.vmmOverheadNoTcgKiB)})`;
  const machine = `${r.machine.cores} cores, load ${loadCell(r.machine.loadAvgAtStart)} at start, ${loadCell(r.machine.loadAvg)} at end`;
  return `| ${dateCell(r.date)} | \`${r.command}\` | ${r.accelerator} | ${image} | ${r.n} | ${lat} | ${msCell(r.microvmP50Ms)} ms | ${ratio} | ${idle} | ${mibCell(r.hostMemKiBPerInstance)} | ${vmm} | ${r.wallS} s | ${stateCell(r)} | ${machine} |`;
}

const file = resultsFile<UnikernelRun>({
  name: "unikernel",
  section: "Unikernel (`npm run bench:unikernel`)",
  header,
  row,
  keep: (earlier) => earlier.slice(0, 19),
});
export const { recordRun, renderTable } = file;
