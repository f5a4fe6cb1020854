// Writes bench/results/placement.json and the placement table of bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const jsonPath = join(benchDir, "results", "placement.json");
const mdPath = join(benchDir, "RESULTS.md");
const start = "<!-- placement-rows:start -->";
const end = "<!-- placement-rows:end -->";
const header = [
  "| date | command | hosts | instances | placements/s | create→running p50 / p99 | pg commits/s | placements ÷ commits | wall | end-state checks | machine |",
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
  const lat = r.p50Ms === null ? "–" : `${fmt(Math.round(r.p50Ms))} / ${fmt(Math.round(r.p99Ms ?? 0))} ms`;
  const checks = r.status === "timeout" ? "**timeout**" : r.checksPassed ? "PASS" : "**FAIL**";
  const machine = `${r.machine.cores} cores, load ${r.machine.loadAvg.map((x) => x.toFixed(1)).join(" ")}`;
  return `| ${r.date.slice(0, 16).replace("T", " ")} | \`${r.command}\` | ${fmt(r.hosts)} | ${fmt(r.instances)} | ${fmt(r.placementsPerSec)} | ${lat} | ${fmt(r.pgCommitsPerSec)} | ${r.placementsPerCommit ?? "–"} | ${r.wallS} s | ${checks} | ${machine} |`;
}

export function recordRun(r: RunRecord) {
  mkdirSync(dirname(jsonPath), { recursive: true });
  // the last run at the top level (the fields the issue names), every recorded run by command below
  let runs: RunRecord[] = [];
  if (existsSync(jsonPath)) {
    try {
      runs = (JSON.parse(readFileSync(jsonPath, "utf8")) as { runs?: RunRecord[] }).runs ?? [];
    } catch {
      runs = [];
    }
  }
  runs = [r, ...runs.filter((x) => x.command !== r.command)];
  writeFileSync(jsonPath, `${JSON.stringify({ ...r, runs: runs.map(({ runs: _, ...x }) => x) }, null, 2)}\n`);

  let md = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "# Benchmark results\n";
  const line = row(r);
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  if (i < 0 || j < i) {
    md = `${md.trimEnd()}\n\n## Placement\n\n${start}\n${header.join("\n")}\n${line}\n${end}\n`;
  } else {
    const rows = md
      .slice(i + start.length, j)
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| date") && !l.startsWith("|---"));
    const kept = rows.filter((l) => !l.includes(`\`${r.command}\``));
    md = `${md.slice(0, i + start.length)}\n${[...header, line, ...kept].join("\n")}\n${md.slice(j)}`;
  }
  writeFileSync(mdPath, md);
  return { jsonPath, mdPath };
}
