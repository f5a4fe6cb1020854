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
      // Locked, and re-read after any concurrent report commits: an instance its agent reported
      // stopped a moment ago is not brought back as pending (nor its reservation freed twice).
      const live = await tx.$queryRaw<{ id: string; deploymentId: string; state: string }[]>`
        SELECT id, "deploymentId", state::text FROM instance
        WHERE "hostId" = ${id}::uuid AND state IN ('scheduled', 'starting', 'running', 'stopping')
        ORDER BY id FOR UPDATE`;
      for (const i of live) {
        await releaseReservation(tx, i.id);
        // one being stopped was not wanted any more: with its host gone it is stopped, not re-placed
        await tx.instance.update({
          where: { id: i.id },
          data:
            i.state === "stopping"
              ? {
                  state: "stopped",
                  stoppedAt: new Date(),
                  reason: "its host stopped answering while it was being stopped",
                }
              : {
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
  // Since when this monitor has reached Postgres without a break. While Postgres (and so every
  // heartbeat) was away, silence proves nothing: hosts get a full TTL to be heard again before
  // any is marked down, or a Postgres restart longer than the TTL would mark every host down.
  let seeingSince: number | undefined;
  const tick = async () => {
    try {
      await opts.db.$queryRaw`SELECT 1`;
    } catch (err) {
      seeingSince = undefined;
      throw err;
    }
    seeingSince ??= Date.now();
    if (Date.now() - seeingSince < opts.ttlMs) return;
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
