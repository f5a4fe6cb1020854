import type { Role } from "@berth/contracts";
import type { Db, Tenant } from "@berth/db";
import type { Actor } from "../context";
import { AppError, notFound } from "../errors";
import { type ActorRef, recordAudit } from "./audit";

export function toTenantDto(t: Tenant, role: Role | null) {
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    role,
    createdAt: t.createdAt.toISOString(),
    quota: { cpuMillis: t.quotaCpuMillis, memoryMiB: t.quotaMemoryMiB, instances: t.quotaInstances },
    isolation: { default: t.defaultIsolation, allowed: t.allowedIsolation, dedicatedHosts: t.dedicatedHosts },
  };
}

/** The tenants the caller belongs to; a token sees only its own tenant. */
export async function listTenants(opts: { db: Db; actor: Exclude<Actor, { kind: "host" }> }) {
  if (opts.actor.kind === "token") {
    const t = await opts.db.tenant.findUnique({ where: { id: opts.actor.tenantId } });
    return t ? [toTenantDto(t, opts.actor.role)] : [];
  }
  const rows = await opts.db.membership.findMany({
    where: { userId: opts.actor.userId },
    include: { tenant: true },
    orderBy: { tenant: { name: "asc" } },
  });
  return rows.map((m) => toTenantDto(m.tenant, m.role));
}

export async function getTenant(opts: { db: Db; tenantId: string; role: Role }) {
  const t = await opts.db.tenant.findUnique({ where: { id: opts.tenantId } });
  if (!t) throw notFound("tenant");
  return toTenantDto(t, opts.role);
}

export async function createTenant(opts: { db: Db; userId: string; name: string; slug: string }) {
  const actor = { actorType: "user", actorId: opts.userId };
  return opts.db.$transaction(async (tx) => {
    const taken = await tx.tenant.findUnique({ where: { slug: opts.slug }, select: { id: true } });
    if (taken) throw new AppError("CONFLICT", `slug: "${opts.slug}" is taken`);
    const t = await tx.tenant.create({
      data: {
        name: opts.name,
        slug: opts.slug,
        memberships: { create: { userId: opts.userId, role: "owner" } },
      },
    });
    await recordAudit({
      db: tx,
      tenantId: t.id,
      actor,
      action: "tenant.create",
      target: t.id,
      data: { slug: t.slug },
    });
    return toTenantDto(t, "owner");
  });
}

export async function updateTenant(opts: {
  db: Db;
  tenantId: string;
  role: Role;
  actor: ActorRef;
  name: string;
}) {
  return opts.db.$transaction(async (tx) => {
    const t = await tx.tenant.update({ where: { id: opts.tenantId }, data: { name: opts.name } });
    await recordAudit({
      db: tx,
      tenantId: t.id,
      actor: opts.actor,
      action: "tenant.update",
      target: t.id,
      data: { name: opts.name },
    });
    return toTenantDto(t, opts.role);
  });
}
