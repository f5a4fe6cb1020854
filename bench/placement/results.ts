// Writes bench/results/placement.json (the last run at the top level, every recorded run by
// command under `runs`) and renders the placement table of bench/RESULTS.md from those runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const jsonPath = join(benchDir, "results", "placement.json");
const mdPath = join(benchDir, "RESULTS.md");
const start = "<!-- placement-rows:start -->";
const end = "<!-- placement-rows:end -->";
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

function readRuns(): RunRecord[] {
  if (!existsSync(jsonPath)) return [];
  try {
    return (JSON.parse(readFileSync(jsonPath, "utf8")) as { runs?: RunRecord[] }).runs ?? [];
  } catch {
    return [];
  }
}

/** Rewrites the table between the markers of RESULTS.md (adding the section if missing). */
export function renderTable(runs: RunRecord[] = readRuns()) {
  let md = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "# Benchmark results\n";
  const sorted = [...runs].sort((a, b) => b.date.localeCompare(a.date));
  const table = `${start}\n${[...header, ...sorted.map(row)].join("\n")}\n${end}`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  md =
    i < 0 || j < i
      ? `${md.trimEnd()}\n\n## Placement\n\n${table}\n`
      : `${md.slice(0, i)}${table}${md.slice(j + end.length)}`;
  writeFileSync(mdPath, md);
}

export function recordRun(r: RunRecord) {
  mkdirSync(dirname(jsonPath), { recursive: true });
  const runs = [r, ...readRuns().filter((x) => x.command !== r.command)].map(
    ({ runs: _, ...x }) => x as RunRecord,
  );
  writeFileSync(jsonPath, `${JSON.stringify({ ...r, runs }, null, 2)}\n`);
  renderTable(runs);
  return { jsonPath, mdPath };
}
