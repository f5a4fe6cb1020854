import { recordGeneration, scopedDb } from "@berth/api";
import type { Db, Prisma } from "@berth/db";

const ACTIVE = ["pending", "scheduled", "starting", "running"];
const ROLLBACK_REASON = "automatic rollback";

type Outcome = "surge" | "retire" | "rollback" | "wait";

/**
 * One step of every rolling update: a deployment whose instances are not all of its current
 * generation gets, in turn, one new instance (the surge), then, once that runs, one old instance
 * retired. A new-generation instance that fails rolls the deployment back to the previous
 * generation's spec, as a new generation, unless that generation was itself a rollback (then the
 * replica controller's backoff takes over instead of flapping between two broken specs).
 */
export async function rolloutStep(db: Db): Promise<Map<string, Outcome>> {
  const rolling = await db.$queryRaw<{ id: string; tenantId: string }[]>`
    SELECT d.id, d."tenantId" FROM deployment d
    WHERE d."desiredState" = 'running' AND EXISTS (
      SELECT 1 FROM instance i WHERE i."deploymentId" = d.id AND i.generation < d.generation
        AND i.state::text = ANY(${ACTIVE}))`;
  const outcomes = new Map<string, Outcome>();
  for (const { id, tenantId } of rolling) {
    const scope = scopedDb(db, tenantId);
    const outcome = await scope.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM deployment WHERE id = ${id}::uuid FOR UPDATE`;
      const d = await tx.deployment.findFirst({ where: { id }, include: { instances: true } });
      if (!d) return "wait";
      const current = d.instances.filter((i) => i.generation === d.generation);
      const old = d.instances.filter((i) => i.generation < d.generation && ACTIVE.includes(i.state));
      const failed = current.some((i) => i.state === "failed" || (i.state === "exited" && i.exitCode !== 0));
      if (failed) {
        const rev = await tx.deploymentRevision.findFirst({
          where: { deploymentId: id, generation: d.generation },
        });
        const prev = await tx.deploymentRevision.findFirst({
          where: { deploymentId: id, generation: d.generation - 1 },
        });
        if (!prev || rev?.reason.startsWith(ROLLBACK_REASON)) return "wait";
        const generation = await recordGeneration(tx, {
          tenantId,
          deploymentId: id,
          spec: prev.spec as Prisma.InputJsonObject,
          reason: `${ROLLBACK_REASON}: generation ${d.generation} failed`,
        });
        await tx.auditLog.create({
          data: {
            tenantId,
            actorType: "system",
            actorId: "rollout",
            action: "deployment.rollback",
            target: id,
            data: { from: d.generation, to: d.generation - 1, generation },
          },
        });
        return "rollback";
      }
      const live = current.filter((i) => ACTIVE.includes(i.state));
      if (live.some((i) => i.state !== "running")) return "wait";
      if (live.length + old.length <= d.replicas) {
        // An ordinal nobody holds comes first: an old instance that went away without a successor
        // (stopped by its agent, say) leaves a gap, and falling back to `live.length` once the
        // old ones ran out doubled an ordinal and left the gap for good (fault tests: [0,1,2,4,5,6,7,7]).
        const used = new Set(live.map((i) => i.ordinal));
        const held = new Set([...live, ...old].map((i) => i.ordinal));
        const free = Array.from({ length: d.replicas }, (_, o) => o).find((o) => !held.has(o));
        const ordinal =
          free ??
          [...old].sort((a, b) => a.ordinal - b.ordinal).find((i) => !used.has(i.ordinal))?.ordinal ??
          live.length;
        await tx.instance.create({ data: { tenantId, deploymentId: id, ordinal, generation: d.generation } });
        return "surge";
      }
      // retire the old instance the newest one replaces: same ordinal if any, else the highest
      const replaced =
        old.find((i) => live.some((n) => n.ordinal === i.ordinal)) ??
        [...old].sort((a, b) => b.ordinal - a.ordinal)[0];
      if (!replaced) return "wait";
      // The instance rows are not locked here: the scheduler may place a pending one meanwhile, and
      // its agent may report it stopped. Delete only what still holds nothing (a placed instance
      // holds a reservation that a delete would leak), retire only what still runs.
      const gone =
        replaced.state === "pending"
          ? await tx.instance.deleteMany({ where: { id: replaced.id, state: "pending", hostId: null } })
          : { count: 0 };
      if (gone.count === 0)
        await tx.instance.updateMany({
          where: { id: replaced.id, state: { in: ["scheduled", "starting", "running"] } },
          data: { state: "stopping", reason: `replaced by generation ${d.generation}` },
        });
      return "retire";
    });
    outcomes.set(id, outcome);
  }
  return outcomes;
}
