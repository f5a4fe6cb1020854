import { reserve } from "@berth/api";
import { explainUnplaceable, type HostView, rankHosts, reservationFor } from "@berth/core";
import type { Db } from "@berth/db";

export type Strategy = "binpack" | "spread";
export type StartRequest = { hostId: string; instanceId: string; generation: number };
export type PlaceResult = { placed: StartRequest[]; unplaced: number };

const liveStates = ["scheduled", "starting", "running", "stopping"] as const;

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
  if (!d || d.desiredState !== "running") return { placed: [], unplaced: 0 };
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
  const req = {
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
  const placed: StartRequest[] = [];
  let unplaced = 0;
  for (const inst of pending) {
    let done = false;
    for (const h of rankHosts(hosts, req)) {
      if (await reserve(db, h.id, inst.id, r.cpuMillis, r.memoryMiB)) {
        // keep the local view close to the truth so the next instance ranks hosts sensibly
        h.reservedCpuMillis += r.cpuMillis;
        h.reservedMemoryMiB += r.memoryMiB;
        h.reservedInstances += 1;
        siblings.set(h.id, (siblings.get(h.id) ?? 0) + 1);
        placed.push({ hostId: h.id, instanceId: inst.id, generation: inst.generation });
        done = true;
        break;
      }
    }
    if (!done) {
      unplaced++;
      await db.instance.updateMany({
        where: { id: inst.id, state: "pending" },
        data: { reason: explainUnplaceable(hosts, req) },
      });
    }
  }
  return { placed, unplaced };
}
