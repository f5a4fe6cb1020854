// What the benchmark measures in Postgres: the commit-rate reference, progress samples, latency
// percentiles and the end-state checks. Raw SQL on its own connections, apart from the system's
// Prisma pools.
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import type { RunningInstance } from "./agents";
import { round } from "./stats";

/** A raw connection; errors (the database dropped under it at cleanup) are not fatal. */
function client(url: string) {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => {});
  return c;
}

/** One connection, autocommit single-row INSERTs back to back for `seconds`: commits per second. */
export async function pgCommitRate(
  url: string,
  seconds = 3,
): Promise<{ commitsPerSec: number; commits: number }> {
  const c = client(url);
  await c.connect();
  try {
    await c.query("CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v integer NOT NULL)");
    const q = { name: "bench-commit", text: "INSERT INTO bench_commit(v) VALUES ($1)" };
    // warm up the connection and the prepared statement
    for (let i = 0; i < 50; i++) await c.query({ ...q, values: [i] });
    let n = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      await c.query({ ...q, values: [n] });
      n++;
    }
    const s = (performance.now() - t0) / 1000;
    return { commitsPerSec: Math.round(n / s), commits: n };
  } finally {
    await c.end();
  }
}

export type Sample = { t: number; created: number; placed: number; running: number };

/** Samples instance counts every `everyMs` (the next query starts when the previous one ends, at the earliest `everyMs` later). */
export function startSampler(url: string, t0: number, everyMs = 100) {
  const c = client(url);
  const samples: Sample[] = [];
  let stopped = false;
  let loop: Promise<void> | undefined;
  return {
    samples,
    latest: () => samples[samples.length - 1] ?? { t: 0, created: 0, placed: 0, running: 0 },
    async start() {
      await c.connect();
      loop = (async () => {
        while (!stopped) {
          const began = performance.now();
          const r = await c.query<{ created: string; placed: string; running: string }>(
            `SELECT count(*) AS created, count(*) FILTER (WHERE "hostId" IS NOT NULL) AS placed,
                    count(*) FILTER (WHERE state = 'running') AS running FROM instance`,
          );
          const row = r.rows[0];
          if (row)
            samples.push({
              t: performance.now() - t0,
              created: Number(row.created),
              placed: Number(row.placed),
              running: Number(row.running),
            });
          const wait = everyMs - (performance.now() - began);
          if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        }
      })();
    },
    async stop() {
      stopped = true;
      await loop?.catch(() => {});
      await c.end().catch(() => {});
    },
  };
}

/** Connections to the benchmark's database by state: "active/idle in transaction/idle". */
export function pgActivity(url: string, database: string) {
  const c = client(url);
  return {
    start: () => c.connect(),
    async read(): Promise<string> {
      const r = await c.query<{ state: string | null; n: string }>(
        "SELECT state, count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY state",
        [database],
      );
      const by = new Map(r.rows.map((x) => [x.state ?? "?", Number(x.n)]));
      return `active ${by.get("active") ?? 0} idle-in-tx ${by.get("idle in transaction") ?? 0} idle ${by.get("idle") ?? 0}`;
    },
    stop: () => c.end().catch(() => {}),
  };
}

/** When (ms since t0, interpolated) the sampled `key` first reached `value`. */
export function crossing(samples: Sample[], key: keyof Omit<Sample, "t">, value: number): number | null {
  let prev: Sample | undefined;
  for (const s of samples) {
    if (s[key] >= value) {
      if (!prev || s[key] === prev[key]) return s.t;
      return prev.t + ((value - prev[key]) / (s[key] - prev[key])) * (s.t - prev.t);
    }
    prev = s;
  }
  return null;
}

/** Slope of `key` between the 10 % and 90 % marks of `total`, per second. */
export function sustainedRate(samples: Sample[], key: keyof Omit<Sample, "t">, total: number) {
  const t10 = crossing(samples, key, 0.1 * total);
  const t90 = crossing(samples, key, 0.9 * total);
  if (t10 === null || t90 === null || t90 <= t10) return { perSec: null, t10Ms: t10, t90Ms: t90 };
  return {
    perSec: Math.round((0.8 * total) / ((t90 - t10) / 1000)),
    t10Ms: Math.round(t10),
    t90Ms: Math.round(t90),
  };
}

/** Create-to-running percentiles over every instance that reached running. */
export async function latencies(url: string) {
  const c = client(url);
  await c.connect();
  try {
    const r = await c.query<Record<string, string | null>>(`
      SELECT count(*) AS n,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
        max(ms) AS max, min(ms) AS min
      FROM (SELECT extract(epoch FROM ("startedAt" - "createdAt")) * 1000 AS ms
            FROM instance WHERE "startedAt" IS NOT NULL) x`);
    const row = r.rows[0] ?? {};
    const num = (k: string) => (row[k] === null || row[k] === undefined ? null : round(Number(row[k])));
    return {
      n: Number(row.n ?? 0),
      p50Ms: num("p50"),
      p90Ms: num("p90"),
      p99Ms: num("p99"),
      maxMs: num("max"),
      minMs: num("min"),
    };
  } finally {
    await c.end();
  }
}

export type Check = { name: string; pass: boolean; detail: string };

/** The end state: every instance running with one host, every ledger equal to its instances. */
export async function checkEndState(
  url: string,
  expected: number,
  onAgents: RunningInstance[] | null,
  opts: { requireRunning: boolean } = { requireRunning: true },
): Promise<Check[]> {
  const c = client(url);
  await c.connect();
  try {
    const checks: Check[] = [];
    const counts = (
      await c.query<{ total: string; running: string; nohost: string }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE state = 'running') AS running,
                count(*) FILTER (WHERE "hostId" IS NULL) AS nohost FROM instance`,
      )
    ).rows[0];
    const total = Number(counts?.total ?? 0);
    const running = Number(counts?.running ?? 0);
    const nohost = Number(counts?.nohost ?? 0);
    checks.push({
      name: opts.requireRunning ? "every instance running, with a host" : "every instance has a host",
      pass: total === expected && (running === expected || !opts.requireRunning) && nohost === 0,
      detail: `${total} instances (expected ${expected}), ${running} running, ${nohost} without a host`,
    });
    const ledger = await c.query<{
      id: string;
      rc: number;
      rm: number;
      ri: number;
      sc: string;
      sm: string;
      si: string;
    }>(`
      SELECT h.id, h."reservedCpuMillis" AS rc, h."reservedMemoryMiB" AS rm, h."reservedInstances" AS ri,
             coalesce(s.c, 0) AS sc, coalesce(s.m, 0) AS sm, coalesce(s.n, 0) AS si
      FROM host h LEFT JOIN (
        SELECT "hostId", sum("reservedCpuMillis") AS c, sum("reservedMemoryMiB") AS m,
               count(*) FILTER (WHERE "reservedCpuMillis" > 0 OR "reservedMemoryMiB" > 0) AS n
        FROM instance WHERE "hostId" IS NOT NULL GROUP BY "hostId") s ON s."hostId" = h.id
      WHERE h."reservedCpuMillis" <> coalesce(s.c, 0) OR h."reservedMemoryMiB" <> coalesce(s.m, 0)
         OR h."reservedInstances" <> coalesce(s.n, 0)`);
    const hosts = Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM host")).rows[0]?.n ?? 0);
    checks.push({
      name: "each host's reserved counters equal the sum over its instances",
      pass: ledger.rowCount === 0,
      detail:
        ledger.rowCount === 0
          ? `${hosts} hosts agree`
          : `${ledger.rowCount} of ${hosts} hosts disagree, e.g. ${JSON.stringify(ledger.rows[0])}`,
    });
    const over = await c.query(
      `SELECT id FROM host WHERE "reservedCpuMillis" > "cpuMillis" OR "reservedMemoryMiB" > "memoryMiB"
         OR "reservedInstances" > "maxInstances"`,
    );
    checks.push({
      name: "no host over capacity",
      pass: over.rowCount === 0,
      detail: `${over.rowCount} host(s) over capacity`,
    });
    if (onAgents) {
      // what the sim drivers hold: each instance started once, on the host Postgres names
      const assigned = new Map(
        (await c.query<{ id: string; hostId: string | null }>(`SELECT id, "hostId" FROM instance`)).rows.map(
          (r) => [r.id, r.hostId],
        ),
      );
      const seen = new Map<string, number>();
      let wrongHost = 0;
      let unknown = 0;
      let notRunning = 0;
      for (const i of onAgents) {
        seen.set(i.instanceId, (seen.get(i.instanceId) ?? 0) + 1);
        if (!assigned.has(i.instanceId)) unknown++;
        else if (assigned.get(i.instanceId) !== i.hostId) wrongHost++;
        if (i.state !== "running") notRunning++;
      }
      const doubled = [...seen.values()].filter((n) => n > 1).length;
      const missing = [...assigned.keys()].filter((id) => !seen.has(id)).length;
      checks.push({
        name: "each instance runs on exactly one sim agent, the one Postgres assigned",
        pass: doubled === 0 && wrongHost === 0 && unknown === 0 && missing === 0 && notRunning === 0,
        detail: `${onAgents.length} on agents; ${doubled} on several, ${wrongHost} on another host, ${missing} on none, ${unknown} unknown, ${notRunning} not running`,
      });
    }
    return checks;
  } finally {
    await c.end();
  }
}

/** CPU ticks per process (all processes of this machine), to attribute where the time went. */
export function cpuSnapshot(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      // fields after ")": state(0) ... utime(11) stime(12)
      out.set(Number(d), { comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Core-seconds per command name between two snapshots (CLK_TCK = 100 on Linux). */
export function cpuByCommand(
  before: Map<number, { comm: string; ticks: number }>,
  after: Map<number, { comm: string; ticks: number }>,
  names: Map<number, string> = new Map(),
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const d = a.ticks - (b && b.comm === a.comm ? b.ticks : 0);
    if (d <= 0) continue;
    const name = names.get(pid) ?? a.comm;
    out[name] = round((out[name] ?? 0) + d / 100);
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort((x, y) => y[1] - x[1])
      .filter(([, v]) => v >= 0.5),
  );
}

/** Whole-machine busy fraction from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
