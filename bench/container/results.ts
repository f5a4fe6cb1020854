// Writes bench/results/container.json (the last run at the top level, the last 20 runs under
// `runs`) and renders the container table of bench/RESULTS.md from those runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const jsonPath = join(benchDir, "results", "container.json");
const mdPath = join(benchDir, "RESULTS.md");
const start = "<!-- container-rows:start -->";
const end = "<!-- container-rows:end -->";
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

function readRuns(): ContainerRun[] {
  if (!existsSync(jsonPath)) return [];
  try {
    return (JSON.parse(readFileSync(jsonPath, "utf8")) as { runs?: ContainerRun[] }).runs ?? [];
  } catch {
    return [];
  }
}

/** Rewrites the table between the markers of RESULTS.md (adding the section if missing). */
export function renderTable(runs: ContainerRun[] = readRuns()) {
  let md = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "# Benchmark results\n";
  const sorted = [...runs].sort((a, b) => b.date.localeCompare(a.date));
  const table = `${start}\n${[...header, ...sorted.map(row)].join("\n")}\n${end}`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  md =
    i < 0 || j < i
      ? `${md.trimEnd()}\n\n## Container (\`npm run bench:container\`)\n\n${table}\n`
      : `${md.slice(0, i)}${table}${md.slice(j + end.length)}`;
  writeFileSync(mdPath, md);
}

export function recordRun(r: ContainerRun) {
  mkdirSync(dirname(jsonPath), { recursive: true });
  // Every run is kept (the last 20), not one per command: on a shared machine the spread between
  // runs of one command is part of the result.
  const runs = [r, ...readRuns()].slice(0, 20).map(({ runs: _, ...x }) => x as ContainerRun);
  writeFileSync(jsonPath, `${JSON.stringify({ ...r, runs }, null, 2)}\n`);
  renderTable(runs);
  return { jsonPath, mdPath };
}
