import type { Instance } from "@berth/db";
import type { Queue } from "bullmq";
import { notFound } from "../errors";
import type { ScopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";
import { assertQuota, lockTenant, toDeploymentDto } from "./deployments";
import { requestPlacement } from "./placement-queue";

// Instances that count towards the replica count; `stopping` ones are on their way out.
const active = new Set(["pending", "scheduled", "starting", "running"]);

type Tx = Parameters<Parameters<ScopedDb["$transaction"]>[0]>[0];
type Common = { scope: ScopedDb; tenantId: string; actor: ActorRef; deploymentId: string; placement: Queue };

/**
 * Retires instances: unplaced ones simply go (nothing runs), placed ones become `stopping` and
 * the scheduler's converge step sends their host a stop job. Pending ones go first, then the
 * highest ordinals, so that scale-down keeps the oldest replicas.
 */
async function retire(tx: Tx, victims: Instance[]) {
  const pending = victims.filter((i) => i.state === "pending").map((i) => i.id);
  const placed = victims.filter((i) => i.state !== "pending").map((i) => i.id);
  if (pending.length) await tx.instance.deleteMany({ where: { id: { in: pending } } });
  if (placed.length) {
    await tx.instance.updateMany({
      where: { id: { in: placed } },
      data: { state: "stopping", reason: "scaled down or stopped" },
    });
  }
}

/** New pending instances in the lowest free ordinals, after a quota check. */
async function grow(
  tx: Tx,
  opts: Common,
  d: { cpuMillis: number; memoryMiB: number; generation: number },
  live: Instance[],
  count: number,
) {
  if (count <= 0) return;
  await assertQuota(tx, await lockTenant(tx, opts.tenantId), {
    cpuMillis: d.cpuMillis * count,
    memoryMiB: d.memoryMiB * count,
    instances: count,
  });
  const used = new Set(live.map((i) => i.ordinal));
  const ordinals: number[] = [];
  for (let o = 0; ordinals.length < count; o++) if (!used.has(o)) ordinals.push(o);
  await tx.instance.createMany({
    data: ordinals.map((ordinal) => ({
      tenantId: opts.tenantId,
      deploymentId: opts.deploymentId,
      ordinal,
      generation: d.generation,
    })),
  });
}

async function change(
  opts: Common,
  action: string,
  fn: (
    tx: Tx,
    d: { replicas: number; cpuMillis: number; memoryMiB: number; generation: number; desiredState: string },
    live: Instance[],
  ) => Promise<void>,
  data?: object,
) {
  await opts.scope.$transaction(async (tx) => {
    const d = await tx.deployment.findFirst({
      where: { id: opts.deploymentId },
      include: { instances: true },
    });
    if (!d) throw notFound("deployment");
    const live = d.instances.filter((i) => active.has(i.state)).sort((a, b) => a.ordinal - b.ordinal);
    await fn(tx, d, live);
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action,
      target: d.id,
      data: data ?? {},
    });
  });
  const d = await opts.scope.deployment.findFirstOrThrow({
    where: { id: opts.deploymentId },
    include: { instances: true },
  });
  await requestPlacement(opts.placement, {
    deploymentId: d.id,
    tenantId: opts.tenantId,
    generation: d.generation,
  });
  return toDeploymentDto(d);
}

export function scaleDeployment(opts: Common & { replicas: number }) {
  return change(
    opts,
    "deployment.scale",
    async (tx, d, live) => {
      await tx.deployment.updateMany({ where: { id: opts.deploymentId }, data: { replicas: opts.replicas } });
      if (d.desiredState !== "running") return;
      if (opts.replicas > live.length) await grow(tx, opts, d, live, opts.replicas - live.length);
      const byRetirement = [...live].sort(
        (a, b) => Number(b.state === "pending") - Number(a.state === "pending") || b.ordinal - a.ordinal,
      );
      await retire(tx, byRetirement.slice(0, Math.max(0, live.length - opts.replicas)));
    },
    { replicas: opts.replicas },
  );
}

export function stopDeployment(opts: Common) {
  return change(opts, "deployment.stop", async (tx, _d, live) => {
    await tx.deployment.updateMany({ where: { id: opts.deploymentId }, data: { desiredState: "stopped" } });
    await retire(tx, live);
  });
}

export function startDeployment(opts: Common) {
  return change(opts, "deployment.start", async (tx, d, live) => {
    await tx.deployment.updateMany({ where: { id: opts.deploymentId }, data: { desiredState: "running" } });
    await grow(tx, opts, d, live, d.replicas - live.length);
  });
}
