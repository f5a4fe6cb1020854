import type { Db } from "@berth/db";

const ACTIVE = ["pending", "scheduled", "starting", "running"] as const;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;

/** 1 s, 2 s, 4 s … up to 5 min, after the n-th failure of a deployment in the last 10 minutes. */
export function restartDelayMs(recentFailures: number): number {
  return recentFailures <= 0 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** (recentFailures - 1), BACKOFF_MAX_MS);
}

type Short = { id: string; replicas: number; active: number; failures: number; lastFailure: Date | null };

/**
 * The replica controller: a running deployment with fewer active instances than replicas gets
 * new pending ones (a crashed, exited, lost or drained-away instance is replaced), after an
 * exponential backoff while its instances keep failing. The deployment row is locked and the
 * count re-read inside the transaction, so concurrent workers never create too many.
 */
export async function ensureReplicas(db: Db, now = new Date()): Promise<string[]> {
  const short = await db.$queryRaw<Short[]>`
    SELECT d.id, d.replicas,
      (count(i.id) FILTER (WHERE i.state::text = ANY(${ACTIVE})))::int AS active,
      (count(i.id) FILTER (WHERE i.state IN ('failed', 'exited') AND i."stoppedAt" > now() - interval '10 minutes'))::int AS failures,
      max(i."stoppedAt") FILTER (WHERE i.state IN ('failed', 'exited')) AS "lastFailure"
    FROM deployment d LEFT JOIN instance i ON i."deploymentId" = d.id
    WHERE d."desiredState" = 'running'
    GROUP BY d.id
    HAVING (count(i.id) FILTER (WHERE i.state::text = ANY(${ACTIVE}))) < d.replicas`;
  const changed: string[] = [];
  for (const d of short) {
    const wait = restartDelayMs(d.failures);
    if (d.lastFailure && now.getTime() - d.lastFailure.getTime() < wait) continue;
    const created = await db.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<
        { tenantId: string; replicas: number; generation: number; desiredState: string }[]
      >`
        SELECT "tenantId", replicas, generation, "desiredState"::text FROM deployment WHERE id = ${d.id}::uuid FOR UPDATE`;
      if (row?.desiredState !== "running") return 0;
      const live = await tx.instance.findMany({
        where: { deploymentId: d.id, state: { in: [...ACTIVE] } },
        select: { ordinal: true },
      });
      const missing = row.replicas - live.length;
      if (missing <= 0) return 0;
      const used = new Set(live.map((i) => i.ordinal));
      const ordinals: number[] = [];
      for (let o = 0; ordinals.length < missing; o++) if (!used.has(o)) ordinals.push(o);
      await tx.instance.createMany({
        data: ordinals.map((ordinal) => ({
          tenantId: row.tenantId,
          deploymentId: d.id,
          ordinal,
          generation: row.generation,
          reason: d.failures ? `replacing a failed instance (attempt ${d.failures + 1})` : null,
        })),
      });
      return missing;
    });
    if (created) changed.push(d.id);
  }
  return changed;
}

/**
 * One drain step: on each draining host, retire one instance of every deployment that is fully
 * available right now, so no deployment ever has more than one instance unavailable because of
 * the drain. The replica controller replaces it elsewhere (the host is cordoned).
 */
export async function drainStep(db: Db): Promise<number> {
  const hosts = await db.host.findMany({ where: { drainRequestedAt: { not: null } }, select: { id: true } });
  let retired = 0;
  for (const h of hosts) {
    const onHost = await db.instance.findMany({
      where: { hostId: h.id, state: { in: ["scheduled", "starting", "running"] } },
      orderBy: { ordinal: "desc" },
      select: { id: true, deploymentId: true },
    });
    const seen = new Set<string>();
    for (const i of onHost) {
      if (seen.has(i.deploymentId)) continue;
      seen.add(i.deploymentId);
      const d = await db.deployment.findUnique({
        where: { id: i.deploymentId },
        include: { instances: { select: { state: true } } },
      });
      if (!d) continue;
      const running = d.instances.filter((x) => x.state === "running").length;
      const busy = d.instances.some((x) =>
        ["pending", "scheduled", "starting", "stopping"].includes(x.state),
      );
      if (busy || running < d.replicas) continue;
      const r = await db.instance.updateMany({
        where: { id: i.id, state: { in: ["scheduled", "starting", "running"] } },
        data: { state: "stopping", reason: "moving off a draining host" },
      });
      retired += r.count;
    }
  }
  return retired;
}
