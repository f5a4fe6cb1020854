import {
  clashingSecret,
  type DeploymentSpec,
  type IsolationLevel,
  secretClashMessage,
} from "@berth/contracts";
import { unsupportedAtLevel } from "@berth/core";
import type { Db, Prisma } from "@berth/db";
import type { Queue } from "bullmq";
import { AppError, notFound } from "../errors";
import type { ScopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";
import { assertQuota, imageKindOf, lockTenant, toDeploymentDto } from "./deployments";
import { wrongKindFor } from "./image-kind";
import { requestPlacement } from "./placement-queue";
import { changeSecrets, parseStoredSecrets } from "./secrets";
import { deletedMount, ensureVolumes } from "./volumes";

type Tx = Parameters<Parameters<ScopedDb["$transaction"]>[0]>[0];

/**
 * The fields an update may change; everything that defines what runs, not how many. Secrets
 * change by name: a value sets one, null removes one, the others keep their values.
 */
export type SpecChange = Partial<
  Pick<DeploymentSpec, "image" | "command" | "args" | "env" | "ports" | "cpuMillis" | "memoryMiB" | "volumes">
> & { secrets?: Record<string, string | null> };
// secrets are sealed in the column, so a revision holds them sealed too and a rollback restores them
const specKeys = [
  "image",
  "command",
  "args",
  "env",
  "ports",
  "cpuMillis",
  "memoryMiB",
  "volumes",
  "secrets",
] as const;

type Row = { id: string; generation: number; replicas: number } & Record<(typeof specKeys)[number], unknown>;

export function specOfRow(d: Row): Prisma.InputJsonObject {
  return Object.fromEntries(specKeys.map((k) => [k, d[k] as Prisma.InputJsonValue]));
}

/**
 * Records a new generation (its revision and the deployment's new spec) in one transaction. The
 * reconciler's rollout step then replaces the instances one at a time, with one extra instance
 * at most (the quota is checked for it), and rolls back if the new generation fails.
 */
export async function recordGeneration(
  tx: Tx,
  opts: { tenantId: string; deploymentId: string; spec: Prisma.InputJsonObject; reason: string },
) {
  const d = await tx.deployment.findFirst({ where: { id: opts.deploymentId } });
  if (!d) throw notFound("deployment");
  const generation = d.generation + 1;
  // the first update also records what generation 1 was, so it can be rolled back to
  if (d.generation === 1) {
    await tx.deploymentRevision.upsert({
      where: { deploymentId_generation: { deploymentId: d.id, generation: 1 } },
      update: {},
      create: {
        tenantId: opts.tenantId,
        deploymentId: d.id,
        generation: 1,
        spec: specOfRow(d),
        reason: "created",
      },
    });
  }
  // revisions recorded before deployments had secrets had none
  const spec = { secrets: {}, ...opts.spec };
  await tx.deploymentRevision.create({
    data: { tenantId: opts.tenantId, deploymentId: d.id, generation, spec, reason: opts.reason },
  });
  await tx.deployment.updateMany({ where: { id: d.id }, data: { ...(spec as object), generation } });
  return generation;
}

export async function updateDeployment(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  deploymentId: string;
  change: SpecChange;
  placement: Queue;
  /** Where the tenant's registry credentials are, to read a new image's manifest (its kind). */
  registries?: { db: Db; key: Buffer };
  /** Seals new secret values; needed only when the change sets some. */
  secretKey?: Buffer;
}) {
  // an empty secrets map changes nothing
  const { secrets: secretChange, ...fields } = opts.change;
  const secretsChanged = secretChange && Object.keys(secretChange).length > 0;
  if (Object.keys(fields).length === 0 && !secretsChanged)
    throw new AppError("BAD_REQUEST", "body: name at least one field to change");
  const image = opts.change.image as string | undefined;
  const kind = image ? await imageKindOf(opts.registries, opts.tenantId, image) : null;
  await opts.scope.$transaction(async (tx) => {
    const d = await tx.deployment.findFirst({ where: { id: opts.deploymentId } });
    if (!d) throw notFound("deployment");
    const tenant = await lockTenant(tx, opts.tenantId);
    const { volumes: mounts, ...rest } = fields;
    const setting = Object.entries(secretChange ?? {}).flatMap(([k, v]) => (v === null ? [] : [k]));
    const unsupported = unsupportedAtLevel(d.isolation, {
      volumes: mounts,
      secretNames: setting,
      command: rest.command,
      args: rest.args,
      env: rest.env,
    });
    if (unsupported) throw new AppError("BAD_REQUEST", unsupported);
    const secrets = secretsChanged
      ? changeSecrets(
          opts.secretKey ?? missingKey(),
          { tenantId: opts.tenantId, deploymentId: d.id },
          parseStoredSecrets(d.secrets),
          secretChange,
        )
      : undefined;
    assertNoClash(
      rest.env ?? (d.env as Record<string, string>),
      secrets ?? parseStoredSecrets(d.secrets),
      rest.env,
    );
    const wrongKind = image && kind ? wrongKindFor(d.isolation as IsolationLevel, image, kind) : null;
    if (wrongKind) throw new AppError("BAD_REQUEST", wrongKind);
    const spec: Prisma.InputJsonObject = {
      ...specOfRow(d),
      ...(rest as Prisma.InputJsonObject),
      ...(secrets ? { secrets } : {}),
      ...(mounts
        ? {
            volumes: await ensureVolumes(tx, {
              tenantId: opts.tenantId,
              quotaVolumeMiB: tenant.quotaVolumeMiB,
              mounts,
            }),
          }
        : {}),
    };
    // the surge: one instance of the new size beside the old ones
    await assertQuota(tx, tenant, {
      cpuMillis: Number(spec.cpuMillis),
      memoryMiB: Number(spec.memoryMiB),
      instances: 1,
    });
    const generation = await recordGeneration(tx, {
      tenantId: opts.tenantId,
      deploymentId: d.id,
      spec,
      reason: "update",
    });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "deployment.update",
      target: d.id,
      data: { generation, change: auditedChange(fields, secretChange) },
    });
  });
  return afterChange(opts);
}

function missingKey(): never {
  throw new Error("updateDeployment: secrets but no key to seal them");
}

/**
 * One variable, one value: no name both in env and among the secrets. The field named is the one
 * the request touched: a secret it sets, else the env key it sets over an existing secret.
 */
function assertNoClash(env: Record<string, string>, secrets: object, envChange: object | undefined) {
  const name = clashingSecret(env, Object.keys(secrets));
  if (!name) return;
  if (envChange && Object.hasOwn(envChange, name))
    throw new AppError(
      "BAD_REQUEST",
      `env.${name}: is a secret of this deployment; remove the secret (secrets.${name}: null) in the same update`,
    );
  throw new AppError("BAD_REQUEST", `secrets.${name}: ${secretClashMessage}`);
}

/** The change as the audit log keeps it: secret names with what happened to them, no values. */
function auditedChange(
  fields: object,
  secrets: Record<string, string | null> | undefined,
): Prisma.InputJsonObject {
  const named = Object.entries(secrets ?? {}).map(([k, v]) => [k, v === null ? "removed" : "set"]);
  return {
    ...(fields as Prisma.InputJsonObject),
    ...(named.length ? { secrets: Object.fromEntries(named) } : {}),
  };
}

/** Rolls back to an earlier generation's spec, as a new generation (history only grows). */
export async function rollbackDeployment(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  deploymentId: string;
  toGeneration?: number;
  placement: Queue;
}) {
  await opts.scope.$transaction(async (tx) => {
    const d = await tx.deployment.findFirst({ where: { id: opts.deploymentId } });
    if (!d) throw notFound("deployment");
    const target = opts.toGeneration ?? d.generation - 1;
    const rev = await tx.deploymentRevision.findFirst({ where: { deploymentId: d.id, generation: target } });
    if (!rev || target >= d.generation) {
      throw new AppError(
        "NOT_FOUND",
        `toGeneration: generation ${target} of this deployment is not on record`,
      );
    }
    // Its volumes must still exist: a deleted one is mounted nowhere (volumesOf skips it), and the
    // instances would run without their data. Under the lock a volume's delete takes.
    await lockTenant(tx, opts.tenantId);
    const lost = await deletedMount(tx, rev.spec);
    if (lost)
      throw new AppError(
        "CONFLICT",
        `toGeneration: generation ${target} mounts volume "${lost}", which was deleted; update the deployment's volumes instead`,
      );
    // A generation recorded before a rule of its level existed (a unikernel's env, command and
    // args are checked since they reach it) is refused now as a new spec would be.
    const old = rev.spec as { command?: string[]; args?: string[]; env?: Record<string, string> };
    const unsupported = unsupportedAtLevel(d.isolation, {
      command: old.command,
      args: old.args,
      env: old.env,
    });
    if (unsupported)
      throw new AppError(
        "BAD_REQUEST",
        `toGeneration: generation ${target} cannot run at level "${d.isolation}": ${unsupported}`,
      );
    const generation = await recordGeneration(tx, {
      tenantId: opts.tenantId,
      deploymentId: d.id,
      spec: rev.spec as Prisma.InputJsonObject,
      reason: `rollback to ${target}`,
    });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "deployment.rollback",
      target: d.id,
      data: { from: d.generation, to: target, generation },
    });
  });
  return afterChange(opts);
}

/**
 * Replaces every instance with a fresh one of the same spec, one at a time, as a rolling update
 * does: a new generation whose only reason is the restart (what `kubectl rollout restart` does
 * by bumping an annotation). The endpoint keeps answering; stopped deployments are refused.
 */
export async function restartDeployment(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  deploymentId: string;
  placement: Queue;
}) {
  await opts.scope.$transaction(async (tx) => {
    const d = await tx.deployment.findFirst({ where: { id: opts.deploymentId } });
    if (!d) throw notFound("deployment");
    if (d.desiredState !== "running")
      throw new AppError("CONFLICT", "deployment: it is stopped; start it instead");
    const tenant = await lockTenant(tx, opts.tenantId);
    await assertQuota(tx, tenant, { cpuMillis: d.cpuMillis, memoryMiB: d.memoryMiB, instances: 1 });
    const generation = await recordGeneration(tx, {
      tenantId: opts.tenantId,
      deploymentId: d.id,
      spec: specOfRow(d),
      reason: "restart",
    });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "deployment.restart",
      target: d.id,
      data: { generation },
    });
  });
  return afterChange(opts);
}

async function afterChange(opts: {
  scope: ScopedDb;
  tenantId: string;
  deploymentId: string;
  placement: Queue;
}) {
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

export async function listRevisions(opts: { scope: ScopedDb; deploymentId: string }) {
  const d = await opts.scope.deployment.findFirst({ where: { id: opts.deploymentId }, select: { id: true } });
  if (!d) throw notFound("deployment");
  const rows = await opts.scope.deploymentRevision.findMany({
    where: { deploymentId: d.id },
    orderBy: { generation: "desc" },
  });
  return rows.map((r) => {
    const { secrets, ...spec } = r.spec as Record<string, unknown>;
    return {
      generation: r.generation,
      reason: r.reason,
      // the sealed values stay in the database: a revision shows which secrets it had
      spec:
        secrets === undefined ? spec : { ...spec, secrets: Object.keys(parseStoredSecrets(secrets)).sort() },
      createdAt: r.createdAt.toISOString(),
    };
  });
}
