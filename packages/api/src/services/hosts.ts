import type { Db, Host } from "@berth/db";
import type { Redis } from "ioredis";
import { AppError, notFound } from "../errors";
import { type ActorRef, recordAudit } from "./audit";
import { deleteHostRedisUser } from "./redis-acl";

function toHostDto(h: Host & { _count: { instances: number } }) {
  return {
    id: h.id,
    name: h.name,
    address: h.address,
    labels: h.labels as Record<string, string>,
    capacity: { cpuMillis: h.cpuMillis, memoryMiB: h.memoryMiB, maxInstances: h.maxInstances },
    isolationLevels: h.isolationLevels,
    accelerator: h.accelerator,
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
  };
}

export async function listHosts(opts: { db: Db }) {
  const rows = await opts.db.host.findMany({
    include: { _count: { select: { instances: true } } },
    orderBy: { name: "asc" },
  });
  return rows.map(toHostDto);
}

export async function getHost(opts: { db: Db; hostId: string }) {
  const h = await opts.db.host.findUnique({
    where: { id: opts.hostId },
    include: { _count: { select: { instances: true } } },
  });
  if (!h) throw notFound("host");
  return toHostDto(h);
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
