import { clashingSecret, type DeploymentSpec, instanceMetrics, secretClashMessage } from "@berth/contracts";
import { quotaExceeded, type Resources, resolveIsolation, unsupportedAtLevel } from "@berth/core";
import type { Db, Deployment, Instance } from "@berth/db";
import type { Queue } from "bullmq";
import { AppError, notFound } from "../errors";
import type { ScopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";
import { releaseReservation } from "./capacity";
import { type ImageKindAnswer, lookupImageKind, wrongKindFor } from "./image-kind";
import { requestPlacement } from "./placement-queue";
import { credentialsForImage } from "./registries";
import { changeSecrets, secretNamesOf } from "./secrets";
import { ensureVolumes, type StoredMount } from "./volumes";

// States in which an instance holds (or is about to hold) its share of the tenant's quota.
const liveStates = ["pending", "scheduled", "starting", "running", "stopping"] as const;

/**
 * The stored sample, if it describes the current run (taken while running, after the run began: a
 * rescheduled instance keeps its row) and is well formed (a bad row shows as none, not a 500).
 */
function metricsOf(i: Instance) {
  const current = i.state === "running" || i.state === "stopping";
  if (!current || !i.metricsAt || !i.startedAt || i.metricsAt < i.startedAt) return null;
  const m = instanceMetrics.safeParse(i.metrics);
  return m.success ? { ...m.data, sampledAt: i.metricsAt.toISOString() } : null;
}

export function toInstanceDto(i: Instance) {
  return {
    id: i.id,
    deploymentId: i.deploymentId,
    hostId: i.hostId,
    ordinal: i.ordinal,
    generation: i.generation,
    state: i.state,
    reason: i.reason,
    exitCode: i.exitCode,
    endpoints: (i.endpoints ?? []) as string[],
    accelerator: i.accelerator,
    metrics: metricsOf(i),
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

/** What runs: the part of a deployment an agent needs, shared by the API and the agent protocol. */
export function deploymentSpecOf(d: Deployment) {
  return {
    tenantId: d.tenantId,
    name: d.name,
    image: d.image,
    command: d.command,
    args: d.args,
    env: d.env as Record<string, string>,
    ports: d.ports as { port: number; protocol: "tcp" | "udp" }[],
    cpuMillis: d.cpuMillis,
    memoryMiB: d.memoryMiB,
    volumes: d.volumes as StoredMount[],
    isolation: d.isolation,
  };
}

export function toDeploymentDto(d: Deployment & { instances: Instance[] }) {
  return {
    id: d.id,
    ...deploymentSpecOf(d),
    secrets: secretNamesOf(d.secrets),
    replicas: d.replicas,
    hostSelector: d.hostSelector as Record<string, string>,
    desiredState: d.desiredState,
    generation: d.generation,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    instances: [...d.instances].sort((a, b) => a.ordinal - b.ordinal).map(toInstanceDto),
  };
}

export async function listDeployments(opts: { scope: ScopedDb }) {
  const rows = await opts.scope.deployment.findMany({
    include: { instances: true },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(toDeploymentDto);
}

export async function getDeployment(opts: { scope: ScopedDb; deploymentId: string }) {
  const d = await opts.scope.deployment.findFirst({
    where: { id: opts.deploymentId },
    include: { instances: true },
  });
  if (!d) throw notFound("deployment");
  return toDeploymentDto(d);
}

type Tx = Parameters<Parameters<ScopedDb["$transaction"]>[0]>[0];
type TenantRow = {
  quotaCpuMillis: number;
  quotaMemoryMiB: number;
  quotaInstances: number;
  quotaVolumeMiB: number;
  defaultIsolation: string;
  allowedIsolation: string[];
};

/** Locks the tenant row: quota checks of concurrent requests of one tenant run one at a time. */
export async function lockTenant(tx: Tx, tenantId: string): Promise<TenantRow> {
  const [tenant] = await tx.$queryRaw<TenantRow[]>`
    SELECT "quotaCpuMillis", "quotaMemoryMiB", "quotaInstances", "quotaVolumeMiB", "defaultIsolation"::text, "allowedIsolation"::text[]
    FROM tenant WHERE id = ${tenantId}::uuid FOR UPDATE`;
  if (!tenant) throw notFound("tenant");
  return tenant;
}

/** Refuses a request that would take the tenant's live instances past its quota. */
export async function assertQuota(tx: Tx, tenant: TenantRow, request: Resources): Promise<void> {
  const live = await tx.instance.findMany({
    where: { state: { in: [...liveStates] } },
    select: { deployment: { select: { cpuMillis: true, memoryMiB: true } } },
  });
  const used = live.reduce(
    (u, i) => ({
      cpuMillis: u.cpuMillis + i.deployment.cpuMillis,
      memoryMiB: u.memoryMiB + i.deployment.memoryMiB,
      instances: u.instances + 1,
    }),
    { cpuMillis: 0, memoryMiB: 0, instances: 0 },
  );
  const over = quotaExceeded(used, request, {
    cpuMillis: tenant.quotaCpuMillis,
    memoryMiB: tenant.quotaMemoryMiB,
    instances: tenant.quotaInstances,
  });
  if (over) throw new AppError("QUOTA_EXCEEDED", over);
}

/** The image's kind from its registry (with the tenant's credentials); no registries, no answer. */
export async function imageKindOf(
  registries: { db: Db; key: Buffer } | undefined,
  tenantId: string,
  image: string,
): Promise<ImageKindAnswer> {
  if (!registries) return { unknown: "not looked up" };
  const credentials = await credentialsForImage(registries.db, registries.key, tenantId, image);
  return lookupImageKind(image, credentials ? { credentials } : {});
}

/**
 * Records the desired state: the deployment and its pending instances in one transaction, with
 * the tenant row locked so that concurrent creates cannot both fit under the quota. Placement
 * is asked for afterwards; if Redis is down the reconciler finds the pending instances anyway.
 */
export async function createDeployment(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  spec: DeploymentSpec;
  placement: Queue;
  /** Where the tenant's registry credentials are, to read the image's manifest (its kind). */
  registries?: { db: Db; key: Buffer };
  /** Seals the spec's secrets; needed only when it has some. */
  secretKey?: Buffer;
}) {
  const { spec } = opts;
  const secretNames = Object.keys(spec.secrets);
  // the input schema checks this too; the service is also called without it (bench, tests)
  const clash = clashingSecret(spec.env, secretNames);
  if (clash) throw new AppError("BAD_REQUEST", `secrets.${clash}: ${secretClashMessage}`);
  if (secretNames.length && !opts.secretKey)
    throw new Error("createDeployment: secrets but no key to seal them");
  // Before the transaction: a registry's answer can take seconds, the tenant row stays unlocked.
  const kind = await imageKindOf(opts.registries, opts.tenantId, spec.image);
  const created = await opts.scope.$transaction(async (tx) => {
    const tenant = await lockTenant(tx, opts.tenantId);
    const policy = resolveIsolation(
      { default: tenant.defaultIsolation as never, allowed: tenant.allowedIsolation as never },
      spec.isolation,
    );
    if (!policy.ok) throw new AppError("BAD_REQUEST", policy.message);
    const unsupported = unsupportedAtLevel(policy.level, {
      volumes: spec.volumes,
      secretNames,
      command: spec.command,
      args: spec.args,
      env: spec.env,
    });
    if (unsupported) throw new AppError("BAD_REQUEST", unsupported);
    const wrongKind = wrongKindFor(policy.level, spec.image, kind);
    if (wrongKind) throw new AppError("BAD_REQUEST", wrongKind);
    await assertQuota(tx, tenant, {
      cpuMillis: spec.cpuMillis * spec.replicas,
      memoryMiB: spec.memoryMiB * spec.replicas,
      instances: spec.replicas,
    });
    const exists = await tx.deployment.findFirst({ where: { name: spec.name }, select: { id: true } });
    if (exists) throw new AppError("CONFLICT", `name: a deployment named "${spec.name}" already exists`);
    const volumes = await ensureVolumes(tx, {
      tenantId: opts.tenantId,
      quotaVolumeMiB: tenant.quotaVolumeMiB,
      mounts: spec.volumes,
    });
    const d = await tx.deployment.create({
      data: {
        tenantId: opts.tenantId,
        name: spec.name,
        image: spec.image,
        command: spec.command,
        args: spec.args,
        env: spec.env,
        ports: spec.ports,
        cpuMillis: spec.cpuMillis,
        memoryMiB: spec.memoryMiB,
        volumes,
        replicas: spec.replicas,
        isolation: policy.level,
        hostSelector: spec.hostSelector,
        instances: {
          create: Array.from({ length: spec.replicas }, (_, ordinal) => ({
            tenantId: opts.tenantId,
            ordinal,
            generation: 1,
          })),
        },
      },
      include: { instances: true },
    });
    // sealed once the row exists: its id is part of each value's additional data
    const withSecrets = secretNames.length
      ? await tx.deployment.update({
          where: { id: d.id },
          data: {
            secrets: changeSecrets(
              opts.secretKey as Buffer,
              { tenantId: opts.tenantId, deploymentId: d.id },
              {},
              spec.secrets,
            ),
          },
          include: { instances: true },
        })
      : d;
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "deployment.create",
      target: d.id,
      data: {
        name: d.name,
        image: d.image,
        isolation: d.isolation,
        replicas: d.replicas,
        ...(secretNames.length ? { secrets: secretNames } : {}),
      },
    });
    return withSecrets;
  });
  await requestPlacement(opts.placement, {
    deploymentId: created.id,
    tenantId: opts.tenantId,
    generation: created.generation,
  });
  return toDeploymentDto(created);
}

export async function deleteDeployment(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  deploymentId: string;
}) {
  return opts.scope.$transaction(async (tx) => {
    const d = await tx.deployment.findFirst({
      where: { id: opts.deploymentId },
      include: { instances: true },
    });
    if (!d) throw notFound("deployment");
    for (const i of d.instances) await releaseReservation(tx, i.id);
    await tx.deployment.deleteMany({ where: { id: d.id } });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "deployment.delete",
      target: d.id,
      data: { name: d.name },
    });
    return toDeploymentDto(d);
  });
}

export async function listInstances(opts: { scope: ScopedDb; deploymentId: string }) {
  const d = await opts.scope.deployment.findFirst({ where: { id: opts.deploymentId }, select: { id: true } });
  if (!d) throw notFound("deployment");
  const rows = await opts.scope.instance.findMany({
    where: { deploymentId: d.id },
    orderBy: { ordinal: "asc" },
  });
  return rows.map(toInstanceDto);
}
