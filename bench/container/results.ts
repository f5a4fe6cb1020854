// Writes bench/results/container.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the container table of bench/RESULTS.md from those runs.
import { dateCell, loadCell, type RunBase, resultsFile, stateCell } from "../lib/results";

const header = [
  "| date (UTC) | command | n | create→HTTP 200 p50 / p95 / p99 | raw runc p50 | ratio | targets (p50 ≤ 150 ms, ratio ≤ 2) | idle instances (HTTP 200 / asked) | overhead per instance | wall | end state | machine |",
  "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|",
];

export type ContainerRun = RunBase & {
  n: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  rawRuncP50Ms: number | null;
  ratioToRawRunc: number | null;
  targets: { p50: boolean | null; ratio: boolean | null };
  densityRequested: number;
  densityInstances: number;
  densityAnswered: number;
  overheadKiBPerInstance: number | null;
};

const ms = (x: number | null) => (x === null ? "–" : `${Math.round(x)}`);
const yes = (b: boolean | null) => (b === null ? "–" : b ? "met" : "**missed**");

function row(r: ContainerRun): string {
  const lat = `${ms(r.p50Ms)} / ${ms(r.p95Ms)} / ${ms(r.p99Ms)} ms`;
  const targets = `p50 ${yes(r.targets.p50)}, ratio ${yes(r.targets.ratio)}`;
  const density = r.densityRequested
    ? `${r.densityAnswered.toLocaleString("en-US")} / ${r.densityRequested.toLocaleString("en-US")}`
    : "– (skipped)";
  const overhead =
    r.overheadKiBPerInstance === null ? "–" : `${r.overheadKiBPerInstance.toLocaleString("en-US")} KiB`;
  const machine = `${r.machine.cores} cores, load ${loadCell(r.machine.loadAvg)}`;
  return `| ${dateCell(r.date)} | \`${r.command}\` | ${r.n} | ${lat} | ${ms(r.rawRuncP50Ms)} ms | ${r.ratioToRawRunc ?? "–"} | ${targets} | ${density} | ${overhead} | ${r.wallS} s | ${stateCell(r)} | ${machine} |`;
}

const file = resultsFile<ContainerRun>({
  name: "container",
  section: "Container (`npm run bench:container`)",
  header,
  row,
  keep: (earlier) => earlier.slice(0, 19),
});
export const { recordRun, renderTable } = file;
