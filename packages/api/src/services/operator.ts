import type { IsolationLevel } from "@berth/contracts";
import type { Db, Prisma } from "@berth/db";
import { AppError, notFound } from "../errors";
import { type ActorRef, recordAudit } from "./audit";
import { toTenantDto } from "./tenants";

// Operators' views across tenants (the job queues: ./queues.ts). Operator procedures call these; nothing here is scoped to a
// tenant because the caller may see every tenant.

const HOLDING = ["scheduled", "starting", "running", "stopping"] as const;

export async function listAllTenants(opts: { db: Db; tenantId?: string }) {
  const rows = await opts.db.tenant.findMany({
    where: opts.tenantId ? { id: opts.tenantId } : {},
    orderBy: { name: "asc" },
    include: {
      _count: {
        select: {
          memberships: true,
          deployments: true,
          instances: { where: { state: { in: [...HOLDING] } } },
        },
      },
    },
  });
  return rows.map((t) => ({
    ...toTenantDto(t, null),
    quotaVolumeMiB: t.quotaVolumeMiB,
    members: t._count.memberships,
    deployments: t._count.deployments,
    instances: t._count.instances,
  }));
}

/** Quotas and isolation policy: the default level must stay among the allowed ones. */
export async function updateTenantPolicy(opts: {
  db: Db;
  actor: ActorRef;
  tenantId: string;
  quota?: { cpuMillis?: number; memoryMiB?: number; instances?: number };
  isolation?: { default?: IsolationLevel; allowed?: IsolationLevel[]; dedicatedHosts?: boolean };
}) {
  await opts.db.$transaction(async (tx) => {
    const t = await tx.tenant.findUnique({ where: { id: opts.tenantId } });
    if (!t) throw notFound("tenant");
    const allowed = opts.isolation?.allowed ? [...new Set(opts.isolation.allowed)] : t.allowedIsolation;
    const def = opts.isolation?.default ?? t.defaultIsolation;
    if (!allowed.includes(def))
      throw new AppError("BAD_REQUEST", `isolation.default: ${def} is not among the allowed levels`);
    const data: Prisma.TenantUpdateInput = {
      quotaCpuMillis: opts.quota?.cpuMillis,
      quotaMemoryMiB: opts.quota?.memoryMiB,
      quotaInstances: opts.quota?.instances,
      defaultIsolation: def,
      allowedIsolation: allowed,
      dedicatedHosts: opts.isolation?.dedicatedHosts,
    };
    await tx.tenant.update({ where: { id: t.id }, data });
    await recordAudit({
      db: tx,
      tenantId: t.id,
      actor: opts.actor,
      action: "tenant.policy",
      target: t.id,
      data: { quota: opts.quota ?? {}, isolation: opts.isolation ?? {} },
    });
  });
  const [row] = await listAllTenants({ db: opts.db, tenantId: opts.tenantId });
  if (!row) throw notFound("tenant");
  return row;
}

const MAX_AUDIT_ID = 2n ** 63n - 1n;

/** Every tenant's entries and the platform's own (hosts, join tokens), newest first, by pages. */
export async function listAllAudit(opts: {
  db: Db;
  limit: number;
  before?: string;
  tenantId?: string;
  platform?: boolean;
}) {
  const before = opts.before ? BigInt(opts.before) : null;
  const where: Prisma.AuditLogWhereInput = {
    ...(before !== null && before <= MAX_AUDIT_ID ? { id: { lt: before } } : {}),
    ...(opts.tenantId ? { tenantId: opts.tenantId } : opts.platform ? { tenantId: null } : {}),
  };
  const rows = await opts.db.auditLog.findMany({
    where,
    orderBy: { id: "desc" },
    take: opts.limit + 1,
    include: { tenant: { select: { name: true } } },
  });
  const page = rows.slice(0, opts.limit);
  const userIds = [...new Set(page.filter((r) => r.actorType === "user").map((r) => r.actorId))];
  const users = await opts.db.user.findMany({
    where: { id: { in: userIds } },
    select: { id: true, name: true },
  });
  const names = new Map(users.map((u) => [u.id, u.name]));
  return {
    entries: page.map((r) => ({
      id: r.id.toString(),
      tenantId: r.tenantId,
      tenantName: r.tenant?.name ?? null,
      actorType: r.actorType,
      actorId: r.actorId,
      actorName: r.actorType === "user" ? (names.get(r.actorId) ?? null) : null,
      action: r.action,
      target: r.target,
      data: (r.data ?? {}) as Record<string, unknown>,
      createdAt: r.createdAt.toISOString(),
    })),
    next: rows.length > opts.limit ? (page.at(-1)?.id.toString() ?? null) : null,
  };
}
