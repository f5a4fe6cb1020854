import { type Assignment, reserve, reserveBatch, volumesOf } from "@berth/api";
import {
  explainUnplaceable,
  type HostView,
  type PlacementRequest,
  rankHosts,
  reservationFor,
} from "@berth/core";
import type { Db } from "@berth/db";

export type Strategy = "binpack" | "spread";
export type StartRequest = { hostId: string; instanceId: string; generation: number };
export type PlaceResult = { placed: StartRequest[]; unplaced: number };

const liveStates = ["scheduled", "starting", "running", "stopping"] as const;

/** Counts a reservation in the local view, so the next instance ranks hosts sensibly. */
function take(h: HostView, siblings: Map<string, number>, r: { cpuMillis: number; memoryMiB: number }) {
  h.reservedCpuMillis += r.cpuMillis;
  h.reservedMemoryMiB += r.memoryMiB;
  h.reservedInstances += 1;
  siblings.set(h.id, (siblings.get(h.id) ?? 0) + 1);
}

/** Places every pending instance of a deployment; instances that fit nowhere get a reason. */
export async function placeDeployment(
  db: Db,
  deploymentId: string,
  strategy: Strategy = "binpack",
): Promise<PlaceResult> {
  const d = await db.deployment.findUnique({
    where: { id: deploymentId },
    include: { tenant: { select: { dedicatedHosts: true } }, instances: true },
  });
  if (d?.desiredState !== "running") return { placed: [], unplaced: 0 };
  const pending = d.instances.filter((i) => i.state === "pending" && i.hostId === null);
  if (pending.length === 0) return { placed: [], unplaced: 0 };
  const hosts: HostView[] = (await db.host.findMany({ where: { status: { not: "removed" } } })).map((h) => ({
    ...h,
    labels: h.labels as Record<string, string>,
  }));
  const siblings = new Map<string, number>();
  for (const i of d.instances) {
    if (i.hostId && (liveStates as readonly string[]).includes(i.state))
      siblings.set(i.hostId, (siblings.get(i.hostId) ?? 0) + 1);
  }
  const req: PlacementRequest = {
    tenantId: d.tenantId,
    level: d.isolation,
    cpuMillis: d.cpuMillis,
    memoryMiB: d.memoryMiB,
    hostSelector: d.hostSelector as Record<string, string>,
    dedicatedHosts: d.tenant.dedicatedHosts,
    strategy,
    siblingsOnHost: siblings,
  };
  const r = reservationFor(req);
  // Volumes live on one host: a deployment that mounts any goes where they are, or, when none is
  // bound yet, every instance follows the first one and the volumes are bound to its host.
  const volumes = await volumesOf(db, d);
  const homes = [...new Set(volumes.flatMap((v) => (v.hostId ? [v.hostId] : [])))];
  if (homes.length > 1) {
    await db.instance.updateMany({
      where: { id: { in: pending.map((i) => i.id) }, state: "pending" },
      data: { reason: "volumes: the deployment mounts volumes that live on different hosts" },
    });
    return { placed: [], unplaced: pending.length };
  }
  const pin = (hostId: string) => {
    const names = volumes.map((v) => v.name).join(", ");
    req.pinnedHost = { id: hostId, why: `volume(s) ${names} live on another host` };
  };
  if (homes[0]) pin(homes[0]);
  const pinnedBefore = req.pinnedHost;

  // Plan every instance against the local view, then commit the plan in one transaction.
  const plan: Assignment[] = [];
  const snapshot = hosts.map((h) => ({ ...h }));
  const siblingsBefore = new Map(siblings);
  for (const inst of pending) {
    const best = rankHosts(hosts, req)[0];
    if (!best) break;
    if (volumes.length > 0) pin(best.id);
    take(best, siblings, r);
    plan.push({ instanceId: inst.id, hostId: best.id, ...r });
  }
  if (plan.length === pending.length && (await reserveBatch(db, plan))) {
    const gen = new Map(pending.map((i) => [i.id, i.generation]));
    await bindVolumes(db, volumes, plan[0]?.hostId);
    return {
      placed: plan.map((a) => ({
        hostId: a.hostId,
        instanceId: a.instanceId,
        generation: gen.get(a.instanceId) ?? 1,
      })),
      unplaced: 0,
    };
  }

  // Some instance does not fit, or another scheduler raced us: one instance at a time.
  hosts.splice(0, hosts.length, ...snapshot);
  siblings.clear();
  for (const [k, v] of siblingsBefore) siblings.set(k, v);
  req.pinnedHost = pinnedBefore;
  const placed: StartRequest[] = [];
  let unplaced = 0;
  for (const inst of pending) {
    let done = false;
    for (const h of rankHosts(hosts, req)) {
      if (await reserve(db, h.id, inst.id, r.cpuMillis, r.memoryMiB)) {
        if (volumes.length > 0 && !req.pinnedHost) {
          pin(h.id);
          await bindVolumes(db, volumes, h.id);
        }
        take(h, siblings, r);
        placed.push({ hostId: h.id, instanceId: inst.id, generation: inst.generation });
        done = true;
        break;
      }
    }
    if (!done) {
      unplaced++;
      // the reason is advisory: losing it to a concurrent update is fine
      await db.instance
        .updateMany({
          where: { id: inst.id, state: "pending" },
          data: { reason: explainUnplaceable(hosts, req) },
        })
        .catch(() => {});
    }
  }
  return { placed, unplaced };
}

/** Binds the volumes not yet bound to the host of the deployment's first placed instance. */
async function bindVolumes(db: Db, volumes: { volumeId: string; hostId: string | null }[], hostId?: string) {
  const unbound = volumes.filter((v) => v.hostId === null).map((v) => v.volumeId);
  if (!hostId || unbound.length === 0) return;
  // only where still unbound: a concurrent placement that bound one first wins, and the reconciler
  // moves an instance that then sits on the wrong host (it reports the mount missing and fails)
  await db.volume.updateMany({ where: { id: { in: unbound }, hostId: null }, data: { hostId } });
}
