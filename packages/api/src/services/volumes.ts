import type { VolumeMount } from "@berth/contracts";
import type { Db } from "@berth/db";
import { AppError } from "../errors";
import type { ScopedDb } from "../scope";

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
