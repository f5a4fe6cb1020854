// One benchmark's record: bench/results/<name>.json (the last run at the top level, the kept runs
// under `runs`) and its table in bench/RESULTS.md, rendered between two markers from those runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const mdPath = join(benchDir, "RESULTS.md");

export type Recorded = { date: string; runs?: unknown; [k: string]: unknown };

export function resultsFile<R extends Recorded>(o: {
  /** bench/results/<name>.json, and the markers <!-- <name>-rows:start/end --> */
  name: string;
  /** The heading the table gets when RESULTS.md has no markers yet. */
  section: string;
  header: string[];
  row: (r: R) => string;
  /** Which earlier runs stay beside the new one. */
  keep: (earlier: R[], latest: R) => R[];
}) {
  const jsonPath = join(benchDir, "results", `${o.name}.json`);
  const start = `<!-- ${o.name}-rows:start -->`;
  const end = `<!-- ${o.name}-rows:end -->`;

  function readRuns(): R[] {
    if (!existsSync(jsonPath)) return [];
    try {
      return (JSON.parse(readFileSync(jsonPath, "utf8")) as { runs?: R[] }).runs ?? [];
    } catch {
      return [];
    }
  }

  /** Rewrites the table between the markers of RESULTS.md (adding the section if missing). */
  function renderTable(runs: R[] = readRuns()) {
    let md = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "# Benchmark results\n";
    const sorted = [...runs].sort((a, b) => b.date.localeCompare(a.date));
    const table = `${start}\n${[...o.header, ...sorted.map(o.row)].join("\n")}\n${end}`;
    const i = md.indexOf(start);
    const j = md.indexOf(end);
    md =
      i < 0 || j < i
        ? `${md.trimEnd()}\n\n## ${o.section}\n\n${table}\n`
        : `${md.slice(0, i)}${table}${md.slice(j + end.length)}`;
    writeFileSync(mdPath, md);
  }

  function recordRun(r: R) {
    mkdirSync(dirname(jsonPath), { recursive: true });
    const runs = [r, ...o.keep(readRuns(), r)].map(({ runs: _, ...x }) => x as R);
    writeFileSync(jsonPath, `${JSON.stringify({ ...r, runs }, null, 2)}\n`);
    renderTable(runs);
    return { jsonPath, mdPath };
  }

  return { recordRun, renderTable };
}

/** Reads an integer flag within bounds; the error names the flag and shows the usage. */
export function intFlag(usage: string) {
  return (name: string, v: string | undefined, def: number, min: number, max: number): number => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name}: must be an integer from ${min} to ${max}\n${usage}`);
    return n;
  };
}

/** The fields every bench's run record starts with and the table's shared columns read. */
export type RunBase = {
  command: string;
  date: string;
  status: "completed" | "failed" | "timeout" | "interrupted";
  wallS: number;
  cleanedUp: boolean;
  machine: { cores: number; loadAvg: number[]; [k: string]: unknown };
  [extra: string]: unknown;
};

/** A table's date cell: the UTC minute. */
export const dateCell = (date: string) => date.slice(0, 16).replace("T", " ");

/** A table's end-state cell: the status (in bold unless completed) and whether the host was left clean. */
export const stateCell = (r: Pick<RunBase, "status" | "cleanedUp">) =>
  `${r.status === "completed" ? "completed" : `**${r.status}**`}${r.cleanedUp ? ", cleaned up" : ", **leftovers**"}`;

/** Load averages with one decimal. */
export const loadCell = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" ");

/** KiB as MiB with one decimal, or "–". */
export const mibCell = (kib: number | null) => (kib === null ? "–" : `${(kib / 1024).toFixed(1)} MiB`);

/** Whole ms with thousands separators, or "–". */
export const msCell = (x: number | null) => (x === null ? "–" : `${Math.round(x).toLocaleString("en-US")}`);
