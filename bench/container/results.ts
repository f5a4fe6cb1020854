// Writes bench/results/container.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the container table of bench/RESULTS.md from those runs.
import { resultsFile } from "../lib/results";

const header = [
  "| date (UTC) | command | n | create→HTTP 200 p50 / p95 / p99 | raw runc p50 | ratio | targets (p50 ≤ 150 ms, ratio ≤ 2) | idle instances (HTTP 200 / asked) | overhead per instance | wall | end state | machine |",
  "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|",
];

export type ContainerRun = {
  command: string;
  date: string;
  status: "completed" | "failed" | "timeout" | "interrupted";
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
  wallS: number;
  cleanedUp: boolean;
  machine: { cores: number; loadAvg: number[]; [k: string]: unknown };
  [extra: string]: unknown;
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
  const state = `${r.status === "completed" ? "completed" : `**${r.status}**`}${r.cleanedUp ? ", cleaned up" : ", **leftovers**"}`;
  const machine = `${r.machine.cores} cores, load ${r.machine.loadAvg.map((x) => x.toFixed(1)).join(" ")}`;
  return `| ${r.date.slice(0, 16).replace("T", " ")} | \`${r.command}\` | ${r.n} | ${lat} | ${ms(r.rawRuncP50Ms)} ms | ${r.ratioToRawRunc ?? "–"} | ${targets} | ${density} | ${overhead} | ${r.wallS} s | ${state} | ${machine} |`;
}

const file = resultsFile<ContainerRun>({
  name: "container",
  section: "Container (`npm run bench:container`)",
  header,
  row,
  keep: (earlier) => earlier.slice(0, 19),
});
export const { recordRun, renderTable } = file;
