import type { Db, Host } from "@berth/db";
import { notFound } from "../errors";

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
