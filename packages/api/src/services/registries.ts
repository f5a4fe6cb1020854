import { registryOf } from "@berth/contracts";
import type { Db } from "@berth/db";
import { open, seal } from "../crypto";
import { notFound } from "../errors";
import type { ScopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";

// Per-tenant registry credentials: the password is sealed (AES-256-GCM) with the tenant and
// registry as additional data, shown to nobody, and handed only to the agent of a host that runs
// one of the tenant's instances of an image from that registry.

const aad = (tenantId: string, registry: string) => `registry-credential:${tenantId}:${registry}`;

function toDto(r: { registry: string; username: string; createdAt: Date; updatedAt: Date }) {
  return {
    registry: r.registry,
    username: r.username,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export async function listRegistryCredentials(opts: { scope: ScopedDb }) {
  const rows = await opts.scope.registryCredential.findMany({ orderBy: { registry: "asc" } });
  return rows.map(toDto);
}

export async function setRegistryCredential(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  key: Buffer;
  registry: string;
  username: string;
  password: string;
}) {
  const secret = seal(opts.key, opts.password, aad(opts.tenantId, opts.registry));
  return opts.scope.$transaction(async (tx) => {
    const existing = await tx.registryCredential.findFirst({ where: { registry: opts.registry } });
    const row = existing
      ? await tx.registryCredential.update({
          where: { id: existing.id },
          data: { username: opts.username, secret },
        })
      : await tx.registryCredential.create({
          data: { tenantId: opts.tenantId, registry: opts.registry, username: opts.username, secret },
        });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: existing ? "registry-credential.update" : "registry-credential.create",
      target: row.id,
      data: { registry: row.registry, username: row.username },
    });
    return toDto(row);
  });
}

export async function deleteRegistryCredential(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  registry: string;
}) {
  return opts.scope.$transaction(async (tx) => {
    const row = await tx.registryCredential.findFirst({ where: { registry: opts.registry } });
    if (!row) throw notFound("registry credential");
    await tx.registryCredential.deleteMany({ where: { id: row.id } });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "registry-credential.delete",
      target: row.id,
      data: { registry: row.registry },
    });
    return toDto(row);
  });
}

/** The tenant's credentials for the registry of `image`, opened; unscoped (the agent endpoint). */
export async function credentialsForImage(db: Db, key: Buffer, tenantId: string, image: string) {
  const registry = registryOf(image);
  const row = await db.registryCredential.findFirst({ where: { tenantId, registry } });
  if (!row) return undefined;
  return { username: row.username, password: open(key, row.secret, aad(tenantId, registry)) };
}

/** Every registry the tenant has credentials for, with its credentials opened (scoped). */
export async function openedCredentials(scope: ScopedDb, key: Buffer, tenantId: string) {
  const rows = await scope.registryCredential.findMany({ orderBy: { registry: "asc" } });
  return new Map(
    rows.map((r) => [
      r.registry,
      { username: r.username, password: open(key, r.secret, aad(tenantId, r.registry)) },
    ]),
  );
}
