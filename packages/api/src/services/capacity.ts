import type { Db } from "@berth/db";

// The capacity ledger: host.reserved* always equals the sum of the reservations of the
// instances assigned to the host. Only the functions here change either side.

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
      // host row first, then instance rows: the same lock order as reserveBatch
      const fits = await tx.$executeRaw`
        UPDATE host SET "reservedCpuMillis" = "reservedCpuMillis" + ${cpu},
          "reservedMemoryMiB" = "reservedMemoryMiB" + ${mem},
          "reservedInstances" = "reservedInstances" + 1
        WHERE id = ${hostId}::uuid AND status = 'ready' AND NOT cordoned
          AND "reservedCpuMillis" + ${cpu} <= "cpuMillis"
          AND "reservedMemoryMiB" + ${mem} <= "memoryMiB"
          AND "reservedInstances" + 1 <= "maxInstances"`;
      if (fits !== 1) throw new Lost();
      const claimed = await tx.$executeRaw`
        UPDATE instance SET state = 'scheduled', "hostId" = ${hostId}::uuid, reason = NULL,
          "reservedCpuMillis" = ${cpu}, "reservedMemoryMiB" = ${mem}, "updatedAt" = now()
        WHERE id = ${instanceId}::uuid AND state = 'pending' AND "hostId" IS NULL`;
      if (claimed !== 1) throw new Lost();
    });
    return true;
  } catch (err) {
    if (err instanceof Lost || isDeadlock(err)) return false;
    throw err;
  }
}

class Lost extends Error {}

/** Postgres aborted one of two transactions that waited on each other; the other went on. */
function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; cause?: { originalCode?: string } } | null;
  return e?.code === "40P01" || e?.cause?.originalCode === "40P01" || /deadlock detected/i.test(String(err));
}

/**
 * Gives back what an instance holds of its host; safe to call twice, also concurrently. The row
 * is read FOR UPDATE, which returns its latest committed version: a plain self-join would read
 * the statement's snapshot, so a release that waited for a concurrent one to commit would find
 * the reservation still there and take it off the host a second time.
 */
export async function releaseReservation(tx: Pick<Db, "$executeRaw">, instanceId: string): Promise<void> {
  await tx.$executeRaw`
    WITH old AS (
      SELECT id, "hostId" AS host, "reservedCpuMillis" AS cpu, "reservedMemoryMiB" AS mem
      FROM instance WHERE id = ${instanceId}::uuid FOR UPDATE
    ), freed AS (
      UPDATE instance i SET "reservedCpuMillis" = 0, "reservedMemoryMiB" = 0
      FROM old WHERE i.id = old.id AND old.host IS NOT NULL AND (old.cpu > 0 OR old.mem > 0)
      RETURNING old.host, old.cpu, old.mem
    )
    UPDATE host h SET "reservedCpuMillis" = h."reservedCpuMillis" - f.cpu,
      "reservedMemoryMiB" = h."reservedMemoryMiB" - f.mem, "reservedInstances" = h."reservedInstances" - 1
    FROM freed f WHERE h.id = f.host`;
}

export type Assignment = { instanceId: string; hostId: string; cpuMillis: number; memoryMiB: number };

/**
 * Many reservations in one transaction (one commit instead of one per instance): every
 * instance is claimed and every host's total is added under the same capacity conditions as
 * `reserve`. All or nothing: when any instance was taken meanwhile or any host no longer fits,
 * nothing changes and the caller falls back to `reserve`, one instance at a time.
 */
export async function reserveBatch(db: Db, plan: Assignment[]): Promise<boolean> {
  if (plan.length === 0) return true;
  const totals = new Map<string, { cpu: number; mem: number; n: number }>();
  for (const a of plan) {
    const t = totals.get(a.hostId) ?? { cpu: 0, mem: 0, n: 0 };
    totals.set(a.hostId, { cpu: t.cpu + a.cpuMillis, mem: t.mem + a.memoryMiB, n: t.n + 1 });
  }
  // hosts in id order, so that concurrent batches lock them in the same order
  const hosts = [...totals.keys()].sort();
  try {
    await db.$transaction(async (tx) => {
      // Take the row locks in one global order (hosts by id, then instances by id): two batches,
      // or a batch and a single reservation, then wait for each other instead of deadlocking.
      await tx.$queryRaw`SELECT 1 FROM host WHERE id = ANY(${hosts}::uuid[]) ORDER BY id FOR UPDATE`;
      await tx.$queryRaw`SELECT 1 FROM instance WHERE id = ANY(${plan.map((a) => a.instanceId).sort()}::uuid[]) ORDER BY id FOR UPDATE`;
      const fits = await tx.$executeRaw`
        UPDATE host h SET "reservedCpuMillis" = h."reservedCpuMillis" + v.cpu,
          "reservedMemoryMiB" = h."reservedMemoryMiB" + v.mem, "reservedInstances" = h."reservedInstances" + v.n
        FROM (SELECT * FROM unnest(${hosts}::uuid[], ${hosts.map((h) => totals.get(h)?.cpu ?? 0)}::int[],
                ${hosts.map((h) => totals.get(h)?.mem ?? 0)}::int[], ${hosts.map((h) => totals.get(h)?.n ?? 0)}::int[])
              AS t(id, cpu, mem, n) ORDER BY id) v
        WHERE h.id = v.id AND h.status = 'ready' AND NOT h.cordoned
          AND h."reservedCpuMillis" + v.cpu <= h."cpuMillis"
          AND h."reservedMemoryMiB" + v.mem <= h."memoryMiB"
          AND h."reservedInstances" + v.n <= h."maxInstances"`;
      if (fits !== hosts.length) throw new Lost();
      const claimed = await tx.$executeRaw`
        UPDATE instance i SET state = 'scheduled', "hostId" = v.host, reason = NULL,
          "reservedCpuMillis" = v.cpu, "reservedMemoryMiB" = v.mem, "updatedAt" = now()
        FROM unnest(${plan.map((a) => a.instanceId)}::uuid[], ${plan.map((a) => a.hostId)}::uuid[],
                    ${plan.map((a) => a.cpuMillis)}::int[], ${plan.map((a) => a.memoryMiB)}::int[]) AS v(id, host, cpu, mem)
        WHERE i.id = v.id AND i.state = 'pending' AND i."hostId" IS NULL`;
      if (claimed !== plan.length) throw new Lost();
    });
    return true;
  } catch (err) {
    // a lost race, or a deadlock between two batches (Postgres aborts one): retry one by one
    if (err instanceof Lost || isDeadlock(err)) return false;
    throw err;
  }
}
