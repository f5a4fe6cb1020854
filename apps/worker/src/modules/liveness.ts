import { releaseReservation, requestPlacement } from "@berth/api";
import type { Db } from "@berth/db";
import type { Module } from "../module";
import type { Queues } from "../queues";

/**
 * Marks hosts down when their heartbeats stop for longer than the TTL, and frees their
 * instances for placement elsewhere: each becomes `lost`, gives back its reservation and goes
 * back to `pending` without a host. If the host returns, its heartbeat lists those instances
 * and the answer tells it to stop them (they now belong elsewhere).
 */
export async function markDownHosts(
  db: Db,
  ttlMs: number,
): Promise<{ hosts: string[]; deployments: string[] }> {
  const cutoff = new Date(Date.now() - ttlMs);
  const down = await db.host.findMany({
    where: { status: "ready", OR: [{ lastHeartbeatAt: { lt: cutoff } }, { lastHeartbeatAt: null }] },
    select: { id: true },
  });
  const deployments = new Set<string>();
  for (const { id } of down) {
    await db.$transaction(async (tx) => {
      // only if it is still silent: a heartbeat may have arrived since the query above
      const marked = await tx.host.updateMany({
        where: { id, status: "ready", OR: [{ lastHeartbeatAt: { lt: cutoff } }, { lastHeartbeatAt: null }] },
        data: { status: "down" },
      });
      if (marked.count === 0) return;
      const live = await tx.instance.findMany({
        where: { hostId: id, state: { in: ["scheduled", "starting", "running", "stopping"] } },
        select: { id: true, deploymentId: true },
      });
      for (const i of live) {
        await releaseReservation(tx, i.id);
        await tx.instance.update({
          where: { id: i.id },
          data: {
            state: "pending",
            hostId: null,
            reason: "its host stopped answering; placing it elsewhere",
          },
        });
        deployments.add(i.deploymentId);
      }
    });
  }
  return { hosts: down.map((h) => h.id), deployments: [...deployments] };
}

export function livenessModule(opts: { db: Db; queues: Queues; ttlMs: number; intervalMs?: number }): Module {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = async () => {
    const { hosts, deployments } = await markDownHosts(opts.db, opts.ttlMs);
    if (hosts.length)
      console.log(`liveness: ${hosts.length} host(s) down, re-placing ${deployments.length} deployment(s)`);
    for (const id of deployments) {
      const d = await opts.db.deployment.findUnique({
        where: { id },
        select: { tenantId: true, generation: true },
      });
      if (d)
        await requestPlacement(opts.queues.placement, {
          deploymentId: id,
          tenantId: d.tenantId,
          generation: d.generation,
        });
    }
  };
  return {
    name: "liveness",
    async start() {
      timer = setInterval(() => {
        running ??= tick()
          .catch((err) => console.error(`liveness: ${(err as Error).message}`))
          .finally(() => {
            running = undefined;
          });
      }, opts.intervalMs ?? 1_000);
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
