import type { VolumeMount } from "@berth/contracts";
import type { Db } from "@berth/db";
import { AppError, notFound } from "../errors";
import type { ScopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";

type Tx = Parameters<Parameters<ScopedDb["$transaction"]>[0]>[0];

/** A deployment's mount as stored: the volume is named; its size lives on the volume. */
export type StoredMount = { name: string; mountPath: string; readOnly: boolean };

export const defaultVolumeMiB = 1024;

/**
 * Finds or creates the tenant's volumes a deployment mounts, inside the caller's transaction
 * (which holds the tenant row lock, so concurrent creates cannot both fit under the quota).
 * Errors name the mount's field: `volumes[1].sizeMiB`.
 */
export async function ensureVolumes(
  tx: Tx,
  opts: { tenantId: string; quotaVolumeMiB: number; mounts: readonly VolumeMount[] },
): Promise<StoredMount[]> {
  if (opts.mounts.length === 0) return [];
  const existing = await tx.volume.findMany({ select: { name: true, sizeMiB: true } });
  const byName = new Map(existing.map((v) => [v.name, v.sizeMiB]));
  let used = existing.reduce((sum, v) => sum + v.sizeMiB, 0);
  for (const [i, m] of opts.mounts.entries()) {
    const size = byName.get(m.name);
    if (size !== undefined) {
      if (m.sizeMiB !== undefined && m.sizeMiB !== size)
        throw new AppError(
          "BAD_REQUEST",
          `volumes[${i}].sizeMiB: volume "${m.name}" exists with ${size} MiB; a volume's size cannot change`,
        );
      continue;
    }
    const want = m.sizeMiB ?? defaultVolumeMiB;
    if (used + want > opts.quotaVolumeMiB)
      throw new AppError(
        "QUOTA_EXCEEDED",
        `volumes[${i}].sizeMiB: the tenant's volume quota is ${opts.quotaVolumeMiB} MiB, ${used} MiB in use, ${want} MiB requested`,
      );
    await tx.volume.create({ data: { tenantId: opts.tenantId, name: m.name, sizeMiB: want } });
    byName.set(m.name, want);
    used += want;
  }
  return opts.mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly }));
}

/** The first volume a stored spec (a revision's) mounts that no longer exists, or null. */
export async function deletedMount(tx: Tx, spec: unknown): Promise<string | null> {
  const mounts = ((spec as { volumes?: StoredMount[] } | null)?.volumes ?? []) as StoredMount[];
  if (mounts.length === 0) return null;
  const rows = await tx.volume.findMany({
    where: { name: { in: mounts.map((m) => m.name) } },
    select: { name: true },
  });
  const existing = new Set(rows.map((r) => r.name));
  return mounts.find((m) => !existing.has(m.name))?.name ?? null;
}

/** The volumes a deployment mounts, with where they live (unscoped: the scheduler and agents). */
export async function volumesOf(db: Db, d: { tenantId: string; volumes: unknown }) {
  const mounts = (d.volumes ?? []) as StoredMount[];
  if (mounts.length === 0) return [];
  const rows = await db.volume.findMany({
    where: { tenantId: d.tenantId, name: { in: mounts.map((m) => m.name) } },
  });
  const byName = new Map(rows.map((v) => [v.name, v]));
  return mounts.flatMap((m) => {
    const v = byName.get(m.name);
    return v ? [{ ...m, volumeId: v.id, sizeMiB: v.sizeMiB, hostId: v.hostId }] : [];
  });
}

/** The deployments (running or stopped: a deleted one is gone) that mount each named volume. */
async function mountsByVolume(tx: Pick<ScopedDb, "deployment">) {
  const deployments = await tx.deployment.findMany({
    select: { id: true, name: true, volumes: true },
    orderBy: { name: "asc" },
  });
  const by = new Map<
    string,
    { deploymentId: string; deploymentName: string; mountPath: string; readOnly: boolean }[]
  >();
  for (const d of deployments)
    for (const m of (d.volumes ?? []) as StoredMount[])
      by.set(m.name, [
        ...(by.get(m.name) ?? []),
        { deploymentId: d.id, deploymentName: d.name, mountPath: m.mountPath, readOnly: m.readOnly },
      ]);
  return by;
}

type VolumeRow = {
  id: string;
  name: string;
  sizeMiB: number;
  createdAt: Date;
  host: { id: string; name: string } | null;
};

const toVolumeDto = (v: VolumeRow, usedBy: Awaited<ReturnType<typeof mountsByVolume>>) => ({
  id: v.id,
  name: v.name,
  sizeMiB: v.sizeMiB,
  host: v.host,
  usedBy: usedBy.get(v.name) ?? [],
  createdAt: v.createdAt.toISOString(),
});

const volumeSelect = {
  id: true,
  name: true,
  sizeMiB: true,
  createdAt: true,
  host: { select: { id: true, name: true } },
} as const;

/** The tenant's volumes with where they live and who mounts them, and its volume quota. */
export async function listVolumes(opts: { scope: ScopedDb; tenantId: string }) {
  const [rows, usedBy, tenant] = await Promise.all([
    opts.scope.volume.findMany({ select: volumeSelect, orderBy: { name: "asc" } }),
    mountsByVolume(opts.scope),
    opts.scope.tenant.findUnique({ where: { id: opts.tenantId }, select: { quotaVolumeMiB: true } }),
  ]);
  if (!tenant) throw notFound("tenant");
  return {
    volumes: rows.map((v) => toVolumeDto(v, usedBy)),
    quotaMiB: tenant.quotaVolumeMiB,
    usedMiB: rows.reduce((sum, v) => sum + v.sizeMiB, 0),
  };
}

/**
 * Deletes a volume nothing mounts. The row goes at once (its size leaves the quota); the data on
 * its host goes when that host's agent next heartbeats: it lists the volumes it holds and is told
 * which no longer exist (services/agents.ts `heartbeat`). Under the tenant row lock, which
 * deployment creates and updates take too, so no deployment can start mounting it meanwhile.
 */
export async function deleteVolume(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  name: string;
}) {
  return opts.scope.$transaction(async (tx) => {
    // the lock deployments' creates and updates take (deployments.ts lockTenant)
    await tx.$queryRaw`SELECT 1 FROM tenant WHERE id = ${opts.tenantId}::uuid FOR UPDATE`;
    const v = await tx.volume.findFirst({ where: { name: opts.name }, select: volumeSelect });
    if (!v) throw notFound(`name: volume "${opts.name}"`);
    const usedBy = await mountsByVolume(tx);
    const users = usedBy.get(v.name) ?? [];
    if (users.length > 0)
      throw new AppError(
        "CONFLICT",
        `name: volume "${v.name}" is mounted by deployment${users.length > 1 ? "s" : ""} ${users
          .map((u) => `"${u.deploymentName}"`)
          .join(", ")}; delete them or update them not to mount it first`,
      );
    await tx.volume.deleteMany({ where: { id: v.id } });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "volume.delete",
      target: v.id,
      data: { name: v.name, sizeMiB: v.sizeMiB, hostId: v.host?.id ?? null },
    });
    return toVolumeDto(v, usedBy);
  });
}
