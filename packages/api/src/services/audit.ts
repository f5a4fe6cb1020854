import type { Prisma } from "@berth/db";
import type { ScopedDb } from "../scope";

export type ActorRef = { actorType: string; actorId: string };

// Structural, so both the plain and the tenant-scoped client (and their transactions) fit.
type AuditWriter = {
  auditLog: { create(args: { data: Prisma.AuditLogUncheckedCreateInput }): Promise<unknown> };
};

/** Records who did what; call it inside the transaction that does the thing. */
export async function recordAudit(opts: {
  db: AuditWriter;
  tenantId: string | null;
  actor: ActorRef;
  action: string;
  target?: string;
  data?: Prisma.InputJsonValue;
}): Promise<void> {
  await opts.db.auditLog.create({
    data: {
      tenantId: opts.tenantId,
      actorType: opts.actor.actorType,
      actorId: opts.actor.actorId,
      action: opts.action,
      target: opts.target ?? null,
      data: opts.data ?? {},
    },
  });
}

// audit_log.id is a BIGSERIAL; a larger cursor (any digit string passes the contract) made
// Prisma throw, a 500. Every id lies below such a cursor, so it means "from the newest".
const MAX_AUDIT_ID = 2n ** 63n - 1n;

export async function listAudit(opts: { scope: ScopedDb; limit: number; before?: string }) {
  const before = opts.before ? BigInt(opts.before) : null;
  const rows = await opts.scope.auditLog.findMany({
    where: before !== null && before <= MAX_AUDIT_ID ? { id: { lt: before } } : {},
    orderBy: { id: "desc" },
    take: opts.limit,
  });
  return rows.map((r) => ({
    id: r.id.toString(),
    actorType: r.actorType,
    actorId: r.actorId,
    action: r.action,
    target: r.target,
    data: (r.data ?? {}) as Record<string, unknown>,
    createdAt: r.createdAt.toISOString(),
  }));
}
