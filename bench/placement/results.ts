// Writes bench/results/placement.json (the last run at the top level, every recorded run by
// command under `runs`) and renders the placement table of bench/RESULTS.md from those runs.
import { resultsFile } from "../lib/results";

const header = [
  "| date (UTC) | command | hosts | instances | placements/s | create→running p50 / p99 | pg commits/s | placements ÷ commits | wall | end state | machine |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
];

export type RunRecord = {
  command: string;
  date: string;
  status: "completed" | "timeout";
  hosts: number;
  instances: number;
  placementsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  pgCommitsPerSec: number;
  placementsPerCommit: number | null;
  wallS: number;
  checksPassed: boolean;
  machine: { cores: number; loadAvg: number[] };
  [extra: string]: unknown;
};

const fmt = (n: number | null, unit = "") => (n === null ? "–" : `${n.toLocaleString("en-US")}${unit}`);

function row(r: RunRecord): string {
  const ran = (r.createToRunning as { n?: number } | undefined)?.n;
  const placementOnly = r.placementOnly === true;
  let lat = r.p50Ms === null ? "–" : `${fmt(Math.round(r.p50Ms))} / ${fmt(Math.round(r.p99Ms ?? 0))} ms`;
  if (placementOnly) lat = "– (placement only)";
  else if (r.status === "timeout" && ran !== undefined) lat += ` (of the ${fmt(ran)} that ran)`;
  let state = r.checksPassed ? "PASS" : "**FAIL**";
  if (r.status === "timeout") {
    const first = (r.checks as { detail: string }[] | undefined)?.[0]?.detail ?? "";
    state = `**timeout**: ${first}`;
  }
  const machine = `${r.machine.cores} cores, load ${r.machine.loadAvg.map((x) => x.toFixed(1)).join(" ")}`;
  return `| ${r.date.slice(0, 16).replace("T", " ")} | \`${r.command}\` | ${fmt(r.hosts)} | ${fmt(r.instances)} | ${fmt(r.placementsPerSec)} | ${lat} | ${fmt(r.pgCommitsPerSec)} | ${r.placementsPerCommit ?? "–"} | ${r.wallS} s | ${state} | ${machine} |`;
}

const file = resultsFile<RunRecord>({
  name: "placement",
  section: "Placement",
  header,
  row,
  keep: (earlier, latest) => earlier.filter((x) => x.command !== latest.command),
});
export const { recordRun, renderTable } = file;
