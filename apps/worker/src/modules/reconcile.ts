import { requestPlacement } from "@berth/api";
import type { Db } from "@berth/db";
import type { Module } from "../module";
import type { Queues } from "../queues";
import { drainStep, ensureReplicas } from "../scheduler/replicas";
import { rolloutStep } from "../scheduler/rollout";

/**
 * Level-triggered repair: Postgres says what should happen, Redis may have lost it. Draining
 * hosts give up one instance per deployment; rolling updates take one step; missing replicas are created (after a backoff when
 * they keep failing); deployments with pending instances get a placement request; instances
 * scheduled on a host but not picked up for a while get their start job again (same job id, so
 * a job still queued is not doubled);
 * instances being retired get their stop job again.
 */
/** Stop jobs for instances the control plane retired; a repeat is harmless (stop is idempotent). */
export async function sendStops(db: Db, queues: Queues, where: { deploymentId?: string; olderThan?: Date }) {
  const stopping = await db.instance.findMany({
    where: {
      state: "stopping",
      hostId: { not: null },
      ...(where.deploymentId ? { deploymentId: where.deploymentId } : {}),
      ...(where.olderThan ? { updatedAt: { lt: where.olderThan } } : {}),
    },
    select: { id: true, hostId: true, generation: true },
  });
  for (const i of stopping)
    if (i.hostId) await queues.stop({ hostId: i.hostId, instanceId: i.id, generation: i.generation });
  return stopping.length;
}

export async function reconcile(db: Db, queues: Queues, opts: { staleMs: number }) {
  const drained = await drainStep(db);
  // a retired instance gets its stop job now, not only once it looks stale
  for (const [deploymentId, outcome] of await rolloutStep(db))
    if (outcome === "retire") await sendStops(db, queues, { deploymentId });
  await ensureReplicas(db);
  const pending = await db.instance.groupBy({
    by: ["deploymentId"],
    where: { state: "pending", deployment: { desiredState: "running" } },
  });
  let placements = 0;
  for (const { deploymentId } of pending) {
    const d = await db.deployment.findUnique({
      where: { id: deploymentId },
      select: { tenantId: true, generation: true },
    });
    if (
      d &&
      (await requestPlacement(queues.placement, {
        deploymentId,
        tenantId: d.tenantId,
        generation: d.generation,
      }))
    )
      placements++;
  }
  const stale = await db.instance.findMany({
    where: {
      state: "scheduled",
      hostId: { not: null },
      updatedAt: { lt: new Date(Date.now() - opts.staleMs) },
    },
    select: { id: true, hostId: true, generation: true },
  });
  for (const i of stale)
    if (i.hostId) await queues.start({ hostId: i.hostId, instanceId: i.id, generation: i.generation });
  const stops = await sendStops(db, queues, { olderThan: new Date(Date.now() - opts.staleMs) });
  return { placements, restarts: stale.length, stops, drained };
}

export function reconcileModule(opts: {
  db: Db;
  queues: Queues;
  intervalMs?: number;
  staleMs?: number;
}): Module {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= reconcile(opts.db, opts.queues, { staleMs: opts.staleMs ?? 10_000 })
      .then(() => undefined)
      .catch((err) => console.error(`reconcile: ${(err as Error).message}`))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    name: "reconcile",
    async start() {
      tick();
      timer = setInterval(tick, opts.intervalMs ?? 2_000);
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
