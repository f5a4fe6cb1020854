// A rollout of 200 instances and the checks every fault test ends with: zero lost, zero duplicate
// instances, a capacity ledger equal to the sum of the live reservations, and agents that run
// exactly what Postgres says they run.
import { callerFor } from "@berth/api/testing";
import type { RunningInstance } from "./agents-child";
import { bigTenant, type System } from "./system";

const LIVE = ["scheduled", "starting", "running", "stopping"];
// many small deployments: a rolling update replaces one instance per deployment at a time
export const DEPLOYMENTS = 25;
export const REPLICAS = 8;

/** Polls until `check` returns true; fails with the last explanation it gave. */
export async function waitFor(
  what: string,
  check: () => Promise<true | string>,
  timeoutMs: number,
  everyMs = 100,
): Promise<number> {
  const t0 = Date.now();
  let last: true | string = "never checked";
  while (Date.now() - t0 < timeoutMs) {
    last = await check().catch((err: Error) => `check threw: ${err.message}`);
    if (last === true) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
}

export type Rollout = { tenantId: string; ids: string[] };

/** DEPLOYMENTS × REPLICAS instances, all running. */
export async function deploy(sys: System, slug: string): Promise<Rollout> {
  const t = await bigTenant(sys, slug, DEPLOYMENTS * REPLICAS);
  const api = callerFor(sys.h, sys.owner.actor);
  const ids: string[] = [];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const d = await api.deployments.create({
      tenantId: t.id,
      name: `web-${i}`,
      image: "busybox",
      replicas: REPLICAS,
      cpuMillis: 50,
      memoryMiB: 32,
      hostSelector: { sim: "true" },
    });
    ids.push(d.id);
  }
  const r = { tenantId: t.id, ids };
  await waitFor("the first generation running", () => converged(sys, r), 90_000);
  return r;
}

/** A new generation of every deployment: the reconciler replaces the instances one at a time. */
export async function update(sys: System, r: Rollout, generation: number) {
  const api = callerFor(sys.h, sys.owner.actor);
  for (const deploymentId of r.ids)
    await api.deployments.update({
      tenantId: r.tenantId,
      deploymentId,
      env: { GENERATION: String(generation) },
    });
}

/** How many instances of the newest generation run. */
export async function newRunning(sys: System, r: Rollout): Promise<number> {
  const rows = await sys.deps.db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM instance i JOIN deployment d ON d.id = i."deploymentId"
    WHERE d.id = ANY(${r.ids}::uuid[]) AND i.generation = d.generation AND i.state = 'running'`;
  return rows[0]?.n ?? 0;
}

/**
 * Done: every deployment has exactly one running instance per ordinal 0..replicas-1, all of its
 * current generation, and nothing else alive or waiting (no pending, scheduled, starting or
 * stopping instance, no older generation left).
 */
export async function converged(sys: System, r: Rollout): Promise<true | string> {
  const ds = await sys.deps.db.deployment.findMany({
    where: { id: { in: r.ids } },
    include: { instances: true },
  });
  if (ds.length !== r.ids.length) return `${r.ids.length - ds.length} deployment(s) missing`;
  const problems: string[] = [];
  for (const d of ds) {
    const active = d.instances.filter((i) => [...LIVE, "pending"].includes(i.state));
    const good = active.filter((i) => i.state === "running" && i.generation === d.generation && i.hostId);
    const ordinals = new Set(good.map((i) => i.ordinal));
    const wanted = Array.from({ length: d.replicas }, (_, o) => o).every((o) => ordinals.has(o));
    if (active.length !== d.replicas || good.length !== d.replicas || !wanted) {
      const states: Record<string, number> = {};
      for (const i of active)
        states[`${i.state}/g${i.generation}`] = (states[`${i.state}/g${i.generation}`] ?? 0) + 1;
      const ords = good.map((i) => i.ordinal).sort((a, b) => a - b);
      problems.push(
        `${d.name} g${d.generation}: ${JSON.stringify(states)} running ordinals [${ords.join(",")}]`,
      );
    }
  }
  return problems.length ? `${problems.length} not done: ${problems.slice(0, 4).join("; ")}` : true;
}

/** The ledger: each host's reserved totals equal the sum of the live reservations placed on it. */
export async function ledgerProblems(sys: System): Promise<string[]> {
  const hosts = await sys.deps.db.$queryRaw<
    { name: string; status: string; rc: number; rm: number; ri: number; c: number; m: number; n: number }[]
  >`
    SELECT h.name, h.status::text, h."reservedCpuMillis" AS rc, h."reservedMemoryMiB" AS rm,
      h."reservedInstances" AS ri,
      coalesce(sum(i."reservedCpuMillis") FILTER (WHERE i.state::text = ANY(${LIVE})), 0)::int AS c,
      coalesce(sum(i."reservedMemoryMiB") FILTER (WHERE i.state::text = ANY(${LIVE})), 0)::int AS m,
      (count(i.id) FILTER (WHERE i.state::text = ANY(${LIVE})))::int AS n
    FROM host h LEFT JOIN instance i ON i."hostId" = h.id GROUP BY h.id ORDER BY h.name`;
  const out = hosts
    .filter((h) => h.rc !== h.c || h.rm !== h.m || h.ri !== h.n)
    .map(
      (h) =>
        `host ${h.name} (${h.status}) holds ${h.rc}m/${h.rm}MiB/${h.ri} but its live instances ${h.c}m/${h.m}MiB/${h.n}`,
    );
  // a reservation belongs to a live instance on a host, and every live instance holds one
  const odd = await sys.deps.db.$queryRaw<{ id: string; state: string; hostId: string | null; c: number }[]>`
    SELECT id, state::text, "hostId", "reservedCpuMillis" AS c FROM instance
    WHERE (("reservedCpuMillis" > 0 OR "reservedMemoryMiB" > 0) AND ("hostId" IS NULL OR NOT state::text = ANY(${LIVE})))
       OR (state::text = ANY(${LIVE}) AND ("hostId" IS NULL OR "reservedCpuMillis" = 0 OR "reservedMemoryMiB" = 0))`;
  for (const i of odd.slice(0, 5)) out.push(`instance ${i.id} ${i.state} on ${i.hostId} holds ${i.c}m`);
  if (odd.length > 5) out.push(`… ${odd.length - 5} more such instances`);
  return out;
}

/**
 * What the agents that are alive really run equals what Postgres says is live on their hosts:
 * no instance runs on two hosts, none runs where Postgres does not place it (a leak or a double),
 * and every live instance runs where Postgres places it (none lost).
 */
export async function agentProblems(sys: System): Promise<string[]> {
  const procs = [sys.lone, sys.pack].filter((p) => p.alive);
  const running: RunningInstance[] = (await Promise.all(procs.map((p) => p.list()))).flat();
  const hostIds = procs.flatMap((p) => p.hostIds);
  const rows = await sys.deps.db.instance.findMany({
    where: { hostId: { in: hostIds }, state: { in: ["scheduled", "starting", "running"] } },
    select: { id: true, hostId: true, generation: true },
  });
  const out: string[] = [];
  const where = new Map<string, string[]>();
  for (const s of running) where.set(s.instanceId, [...(where.get(s.instanceId) ?? []), s.hostId]);
  for (const [id, on] of where) if (on.length > 1) out.push(`instance ${id} runs on ${on.length} hosts`);
  const key = (id: string, h: string | null, g: number) => `${id}@${h}/g${g}`;
  const actual = new Set(running.map((s) => key(s.instanceId, s.hostId, s.generation)));
  const expected = new Set(rows.map((i) => key(i.id, i.hostId, i.generation)));
  const extra = [...actual].filter((k) => !expected.has(k));
  const missing = [...expected].filter((k) => !actual.has(k));
  if (extra.length)
    out.push(`${extra.length} run that Postgres does not place there, e.g. ${extra.slice(0, 3).join(", ")}`);
  if (missing.length)
    out.push(`${missing.length} placed that no agent runs, e.g. ${missing.slice(0, 3).join(", ")}`);
  return out;
}

/** Waits for the rollout to finish, then checks every invariant; returns the wait in ms. */
export async function settleAndCheck(
  sys: System,
  r: Rollout,
  timeoutMs: number,
  meanwhile?: () => Promise<void>,
): Promise<number> {
  const ms = await waitFor(
    "every instance of the new generation running",
    async () => {
      await meanwhile?.();
      return converged(sys, r);
    },
    timeoutMs,
  );
  // agents learn of unwanted instances from heartbeats (every 500 ms here): give them a few
  await waitFor(
    "agents running exactly what Postgres places on them",
    async () => {
      const p = await agentProblems(sys);
      return p.length ? p.join("; ") : true;
    },
    10_000,
  );
  const ledger = await ledgerProblems(sys);
  if (ledger.length) throw new Error(`capacity ledger wrong:\n${ledger.join("\n")}`);
  const again = await converged(sys, r);
  if (again !== true) throw new Error(`no longer converged: ${again}`);
  return ms;
}
