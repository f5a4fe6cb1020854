import type { Db, Host } from "@berth/db";
import type { Redis } from "ioredis";
import { AppError, notFound } from "../errors";
import { type ActorRef, recordAudit } from "./audit";
import { deleteHostRedisUser } from "./redis-acl";

// What still holds the host (a drain is done when none is left).
const ON_HOST = ["scheduled", "starting", "running", "stopping"] as const;
const hostInclude = { _count: { select: { instances: { where: { state: { in: [...ON_HOST] } } } } } };

/** Instances that left each draining host since its drain began: the drain's progress. */
async function movedCounts(db: Db, hosts: Host[]): Promise<Map<string, number>> {
  const moved = new Map<string, number>();
  for (const h of hosts) {
    if (!h.drainRequestedAt) continue;
    const n = await db.instance.count({
      where: {
        hostId: h.id,
        state: { notIn: [...ON_HOST, "pending"] },
        OR: [{ stoppedAt: { gte: h.drainRequestedAt } }, { updatedAt: { gte: h.drainRequestedAt } }],
      },
    });
    moved.set(h.id, n);
  }
  return moved;
}

function toHostDto(h: Host & { _count: { instances: number } }, moved = 0) {
  return {
    id: h.id,
    name: h.name,
    address: h.address,
    labels: h.labels as Record<string, string>,
    capacity: { cpuMillis: h.cpuMillis, memoryMiB: h.memoryMiB, maxInstances: h.maxInstances },
    isolationLevels: h.isolationLevels,
    accelerator: h.accelerator,
    guestKernel: h.guestKernel,
    status: h.status,
    cordoned: h.cordoned,
    lastHeartbeatAt: h.lastHeartbeatAt?.toISOString() ?? null,
    draining: h.drainRequestedAt !== null,
    reserved: {
      cpuMillis: h.reservedCpuMillis,
      memoryMiB: h.reservedMemoryMiB,
      instances: h.reservedInstances,
    },
    instanceCount: h._count.instances,
    drain: h.drainRequestedAt
      ? { since: h.drainRequestedAt.toISOString(), moved, remaining: h._count.instances }
      : null,
  };
}

export async function listHosts(opts: { db: Db }) {
  const rows = await opts.db.host.findMany({ include: hostInclude, orderBy: { name: "asc" } });
  const moved = await movedCounts(opts.db, rows);
  return rows.map((h) => toHostDto(h, moved.get(h.id)));
}

export async function getHost(opts: { db: Db; hostId: string }) {
  const h = await opts.db.host.findUnique({ where: { id: opts.hostId }, include: hostInclude });
  if (!h) throw notFound("host");
  const moved = await movedCounts(opts.db, [h]);
  return toHostDto(h, moved.get(h.id));
}

export async function cordonHost(opts: { db: Db; actor: ActorRef; hostId: string; cordoned: boolean }) {
  const res = await opts.db.host.updateMany({
    where: { id: opts.hostId, status: { not: "removed" } },
    data: opts.cordoned ? { cordoned: true } : { cordoned: false, drainRequestedAt: null },
  });
  if (res.count === 0) throw notFound("host");
  await recordAudit({
    db: opts.db,
    tenantId: null,
    actor: opts.actor,
    action: opts.cordoned ? "host.cordon" : "host.uncordon",
    target: opts.hostId,
  });
  return getHost({ db: opts.db, hostId: opts.hostId });
}

/** Cordons the host and asks the reconciler to move its instances off, one per deployment. */
export async function drainHost(opts: { db: Db; actor: ActorRef; hostId: string }) {
  const res = await opts.db.host.updateMany({
    where: { id: opts.hostId, status: { not: "removed" } },
    data: { cordoned: true, drainRequestedAt: new Date() },
  });
  if (res.count === 0) throw notFound("host");
  await recordAudit({
    db: opts.db,
    tenantId: null,
    actor: opts.actor,
    action: "host.drain",
    target: opts.hostId,
  });
  return getHost({ db: opts.db, hostId: opts.hostId });
}

/**
 * Removes a host: refused while instances still run there (drain it first). Its token stops
 * working and its Redis user is deleted.
 */
export async function removeHost(opts: { db: Db; redis: Redis; actor: ActorRef; hostId: string }) {
  const busy = await opts.db.instance.count({
    where: { hostId: opts.hostId, state: { in: ["scheduled", "starting", "running", "stopping"] } },
  });
  if (busy > 0)
    throw new AppError("CONFLICT", `hostId: ${busy} instance(s) still on the host; drain it first`);
  const res = await opts.db.host.updateMany({
    where: { id: opts.hostId, status: { not: "removed" } },
    data: { status: "removed", cordoned: true, tokenHash: null },
  });
  if (res.count === 0) throw notFound("host");
  await deleteHostRedisUser(opts.redis, opts.hostId).catch(() => {});
  await recordAudit({
    db: opts.db,
    tenantId: null,
    actor: opts.actor,
    action: "host.remove",
    target: opts.hostId,
  });
  return getHost({ db: opts.db, hostId: opts.hostId });
}
