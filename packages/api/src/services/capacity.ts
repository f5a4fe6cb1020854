import type { Db } from "@berth/db";

// The capacity ledger: host.reserved* always equals the sum of the reservations of the
// instances assigned to the host. Only these two functions change either side.

/**
 * Reserves capacity on one host and assigns the instance to it, atomically. The host row's
 * conditional UPDATE re-checks capacity against the latest committed reservations (Postgres
 * re-evaluates the WHERE clause after waiting for a concurrent writer's lock), so any number of
 * schedulers can race without over-committing; the instance UPDATE only claims a pending,
 * unassigned instance, so no instance is placed twice.
 */
export async function reserve(
  db: Db,
  hostId: string,
  instanceId: string,
  cpu: number,
  mem: number,
): Promise<boolean> {
  try {
    await db.$transaction(async (tx) => {
      const claimed = await tx.$executeRaw`
        UPDATE instance SET state = 'scheduled', "hostId" = ${hostId}::uuid, reason = NULL,
          "reservedCpuMillis" = ${cpu}, "reservedMemoryMiB" = ${mem}, "updatedAt" = now()
        WHERE id = ${instanceId}::uuid AND state = 'pending' AND "hostId" IS NULL`;
      if (claimed !== 1) throw new Lost();
      const fits = await tx.$executeRaw`
        UPDATE host SET "reservedCpuMillis" = "reservedCpuMillis" + ${cpu},
          "reservedMemoryMiB" = "reservedMemoryMiB" + ${mem},
          "reservedInstances" = "reservedInstances" + 1
        WHERE id = ${hostId}::uuid AND status = 'ready' AND NOT cordoned
          AND "reservedCpuMillis" + ${cpu} <= "cpuMillis"
          AND "reservedMemoryMiB" + ${mem} <= "memoryMiB"
          AND "reservedInstances" + 1 <= "maxInstances"`;
      if (fits !== 1) throw new Lost();
    });
    return true;
  } catch (err) {
    if (err instanceof Lost) return false;
    throw err;
  }
}

class Lost extends Error {}

/** Gives back what an instance holds of its host; safe to call twice. */
export async function releaseReservation(tx: Pick<Db, "$executeRaw">, instanceId: string): Promise<void> {
  await tx.$executeRaw`
    WITH freed AS (
      UPDATE instance i SET "reservedCpuMillis" = 0, "reservedMemoryMiB" = 0
      FROM instance old WHERE i.id = old.id AND i.id = ${instanceId}::uuid AND old."hostId" IS NOT NULL
        AND (old."reservedCpuMillis" > 0 OR old."reservedMemoryMiB" > 0)
      RETURNING old."hostId" AS host, old."reservedCpuMillis" AS cpu, old."reservedMemoryMiB" AS mem
    )
    UPDATE host h SET "reservedCpuMillis" = h."reservedCpuMillis" - f.cpu,
      "reservedMemoryMiB" = h."reservedMemoryMiB" - f.mem, "reservedInstances" = h."reservedInstances" - 1
    FROM freed f WHERE h.id = f.host`;
}
