import { createHash, randomBytes } from "node:crypto";
import type { HeartbeatRequest, InstanceReport, JoinRequest } from "@berth/contracts";
import { decideReport, terminalStates } from "@berth/core";
import type { Db, Prisma } from "@berth/db";
import type { Redis } from "ioredis";
import { AppError, notFound } from "../errors";
import { recordAudit } from "./audit";
import { releaseReservation } from "./capacity";
import { deploymentSpecOf } from "./deployments";
import { createHostRedisUser } from "./redis-acl";
import { credentialsForImage } from "./registries";
import { openSecrets, parseStoredSecrets } from "./secrets";
import { volumesOf } from "./volumes";

const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const JOIN_PREFIX = "bjoin_";
const HOST_PREFIX = "bhost_";
const JOIN_TTL_MS = 60 * 60_000;
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** An operator issues a one-time token and gets the exact command to run on the new host. */
export async function createJoinToken(opts: { db: Db; userId: string; serverUrl: string }) {
  const token = JOIN_PREFIX + randomBytes(24).toString("base64url");
  const row = await opts.db.joinToken.create({
    data: { hash: hash(token), createdById: opts.userId, expiresAt: new Date(Date.now() + JOIN_TTL_MS) },
  });
  await recordAudit({
    db: opts.db,
    tenantId: null,
    actor: { actorType: "user", actorId: opts.userId },
    action: "host.join-token",
    target: row.id,
  });
  return {
    token,
    expiresAt: row.expiresAt.toISOString(),
    command: `berth-agent join --server ${opts.serverUrl} --token ${token}`,
  };
}

export async function joinHost(opts: {
  db: Db;
  redis: Redis;
  redisUrl: string;
  queuePrefix: string;
  req: JoinRequest;
}) {
  const { req } = opts;
  const hostToken = HOST_PREFIX + randomBytes(32).toString("base64url");
  const host = await opts.db.$transaction(async (tx) => {
    const claimed = await tx.joinToken.updateMany({
      where: { hash: hash(req.joinToken), usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) throw new AppError("UNAUTHORIZED", "joinToken: unknown, used or expired");
    const taken = await tx.host.findUnique({ where: { name: req.name }, select: { id: true } });
    if (taken) throw new AppError("CONFLICT", `name: a host named "${req.name}" is already enrolled`);
    const h = await tx.host.create({
      data: {
        name: req.name,
        address: req.address,
        labels: req.labels,
        ...req.capacity,
        isolationLevels: req.capabilities.isolationLevels,
        accelerator: req.capabilities.accelerator,
        guestKernel: req.capabilities.guestKernel,
        status: "pending",
        tokenHash: hash(hostToken),
      },
    });
    await tx.joinToken.updateMany({ where: { hash: hash(req.joinToken) }, data: { hostId: h.id } });
    await recordAudit({
      db: tx,
      tenantId: null,
      actor: { actorType: "host", actorId: h.id },
      action: "host.join",
      target: h.id,
      data: { name: h.name },
    });
    return h;
  });
  const redisUser = await createHostRedisUser(opts.redis, { hostId: host.id, prefix: opts.queuePrefix });
  return {
    hostId: host.id,
    hostToken,
    redis: { url: opts.redisUrl, ...redisUser },
    queue: { prefix: opts.queuePrefix, name: `host-${host.id}` },
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  };
}

export async function authenticateHost(db: Db, token: string): Promise<string | null> {
  if (!token.startsWith(HOST_PREFIX)) return null;
  const h = await db.host.findUnique({
    where: { tokenHash: hash(token) },
    select: { id: true, status: true },
  });
  return h && h.status !== "removed" ? h.id : null;
}

/** Applies one report from the host the instance is assigned to; idempotent. */
export async function applyReport(db: Db, hostId: string, r: InstanceReport) {
  return db.$transaction(async (tx) => {
    // A terminal report frees a reservation, which updates the host row: lock the host before the
    // instance, in the order reservations and the liveness monitor take them, or two such
    // transactions wait for each other until Postgres aborts one (deadlock).
    if ((terminalStates as readonly string[]).includes(r.state))
      await tx.$queryRaw`SELECT 1 FROM host WHERE id = ${hostId}::uuid FOR NO KEY UPDATE`;
    const rows = await tx.$queryRaw<{ state: string; generation: number; hostId: string | null }[]>`
      SELECT state::text, generation, "hostId" FROM instance WHERE id = ${r.instanceId}::uuid FOR UPDATE`;
    const cur = rows[0];
    if (!cur || cur.hostId !== hostId) return { decision: "stale" as const };
    const decision = decideReport({ state: cur.state as never, generation: cur.generation }, r);
    if (decision !== "apply") return { decision };
    const data: Prisma.InstanceUncheckedUpdateInput = { state: r.state, reason: r.reason ?? null };
    if (r.exitCode !== undefined) data.exitCode = r.exitCode;
    if (r.endpoints) data.endpoints = r.endpoints;
    if (r.accelerator) data.accelerator = r.accelerator;
    if (r.state === "running") data.startedAt = new Date();
    if ((terminalStates as readonly string[]).includes(r.state)) data.stoppedAt = new Date();
    await tx.instance.update({ where: { id: r.instanceId }, data });
    if ((terminalStates as readonly string[]).includes(r.state)) await releaseReservation(tx, r.instanceId);
    return { decision };
  });
}

/**
 * A heartbeat marks the host ready, refreshes what it offers, applies the state of every
 * instance it reports, and answers with the instances it runs that nobody wants any more and
 * the volumes it holds that were deleted.
 */
export async function heartbeat(db: Db, hostId: string, hb: HeartbeatRequest) {
  await db.host.update({
    where: { id: hostId },
    data: {
      status: "ready",
      lastHeartbeatAt: new Date(),
      ...hb.capacity,
      isolationLevels: hb.capabilities.isolationLevels,
      accelerator: hb.capabilities.accelerator,
      guestKernel: hb.capabilities.guestKernel,
    },
  });
  const ids = hb.instances.map((i) => i.instanceId);
  const known = await db.instance.findMany({
    where: { id: { in: ids } },
    select: {
      id: true,
      hostId: true,
      generation: true,
      state: true,
      deployment: { select: { desiredState: true } },
    },
  });
  const byId = new Map(known.map((k) => [k.id, k]));
  const stop: { instanceId: string; generation: number }[] = [];
  for (const r of hb.instances) {
    const k = byId.get(r.instanceId);
    const live = !(terminalStates as readonly string[]).includes(r.state);
    const unwanted =
      !k ||
      k.hostId !== hostId ||
      k.generation !== r.generation ||
      // null when the deployment was deleted between the two reads Prisma makes here
      k.deployment?.desiredState !== "running";
    if (unwanted) {
      if (live) stop.push({ instanceId: r.instanceId, generation: r.generation });
      continue;
    }
    if (k.state !== r.state) await applyReport(db, hostId, r);
  }
  await storeMetrics(db, hostId, hb.instances);
  return {
    stop,
    removeVolumes: await deletedVolumes(db, hb.volumes),
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  };
}

/**
 * Of the volumes a host holds, those without a row: their tenant deleted them (or the tenant is
 * gone). Ids are never reused, so no row means for good, and the host deletes their data. A
 * volume whose row exists stays, whatever its hostId says: only a deletion removes data.
 */
async function deletedVolumes(db: Db, held: string[]): Promise<string[]> {
  if (held.length === 0) return [];
  const rows = await db.volume.findMany({ where: { id: { in: held } }, select: { id: true } });
  const existing = new Set(rows.map((r) => r.id));
  return held.filter((id) => !existing.has(id));
}

/**
 * The latest sample of every instance the heartbeat measured, in one statement. Only instances
 * assigned to this host, at the reported generation, while running: a host never writes another's
 * instance, and a late heartbeat does not revive a sample of an instance that has ended. Raw SQL,
 * so updatedAt (the reconciler's "last state change") stays put; metricsAt is the control plane's
 * clock, the one startedAt is set with, so the two compare.
 */
async function storeMetrics(db: Db, hostId: string, reports: InstanceReport[]) {
  const sampled = reports.filter((r) => r.metrics && r.state === "running");
  if (sampled.length === 0) return;
  await db.$executeRaw`
    UPDATE instance SET metrics = s.m, "metricsAt" = ${new Date()}
    FROM unnest(${sampled.map((r) => r.instanceId)}::uuid[], ${sampled.map((r) => r.generation)}::int[],
      ${sampled.map((r) => JSON.stringify(r.metrics))}::jsonb[]) AS s(id, generation, m)
    WHERE instance.id = s.id AND instance."hostId" = ${hostId}::uuid
      AND instance.generation = s.generation AND instance.state IN ('running', 'stopping')`;
}

export async function instanceSpec(db: Db, hostId: string, instanceId: string, credentialKey?: Buffer) {
  const i = await db.instance.findFirst({ where: { id: instanceId, hostId }, include: { deployment: true } });
  // no deployment: it was deleted between the two reads Prisma makes here
  if (!i?.deployment) throw notFound("instance");
  const volumes = await volumesOf(db, i.deployment);
  const spec = deploymentSpecOf(i.deployment);
  // The deployment's secrets, opened for the host the instance is assigned to (the query above),
  // reach the instance as environment variables; a name is never both (the API refuses it).
  const owner = { tenantId: i.tenantId, deploymentId: i.deploymentId };
  const secrets = secretsFor(i.deployment.secrets, owner, credentialKey);
  return {
    instanceId: i.id,
    generation: i.generation,
    deploymentId: i.deploymentId,
    ...spec,
    env: { ...spec.env, ...secrets },
    volumes: volumes.map(({ hostId: _, ...v }) => v),
    registryAuth: credentialKey
      ? await credentialsForImage(db, credentialKey, i.tenantId, i.deployment.image)
      : undefined,
  };
}

function secretsFor(column: unknown, owner: { tenantId: string; deploymentId: string }, key?: Buffer) {
  if (Object.keys(parseStoredSecrets(column)).length === 0) return {};
  if (!key) throw new Error("instanceSpec: the deployment has secrets, no key to open them");
  return openSecrets(key, owner, column);
}
