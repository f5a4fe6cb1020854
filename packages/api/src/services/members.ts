import { randomBytes } from "node:crypto";
import type { Role } from "@berth/contracts";
import { canAssignRole } from "@berth/core";
import type { Db } from "@berth/db";
import { AppError, notFound } from "../errors";
import { type ScopedDb, scopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";
import { hashToken } from "./tokens";

const INVITATION_TTL_MS = 7 * 86_400_000;

type Tx = Parameters<Parameters<ScopedDb["$transaction"]>[0]>[0];

export async function listMembers(opts: { scope: ScopedDb }) {
  const rows = await opts.scope.membership.findMany({
    include: { user: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((m) => ({
    userId: m.userId,
    name: m.user.name,
    email: m.user.email,
    role: m.role,
    createdAt: m.createdAt.toISOString(),
  }));
}

function toInvitationDto(i: {
  id: string;
  email: string;
  role: Role;
  expiresAt: Date;
  createdAt: Date;
  acceptedAt: Date | null;
}) {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    expiresAt: i.expiresAt.toISOString(),
    createdAt: i.createdAt.toISOString(),
    acceptedAt: i.acceptedAt?.toISOString() ?? null,
  };
}

export async function listInvitations(opts: { scope: ScopedDb }) {
  const rows = await opts.scope.invitation.findMany({
    where: { acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(toInvitationDto);
}

export async function inviteMember(opts: {
  scope: ScopedDb;
  tenantId: string;
  actorRole: Role;
  actor: ActorRef;
  invitedById: string;
  email: string;
  role: Role;
}) {
  if (!canAssignRole(opts.actorRole, null, opts.role)) {
    throw new AppError("FORBIDDEN", `role: a ${opts.actorRole} cannot invite an ${opts.role}`);
  }
  const email = opts.email.toLowerCase();
  const token = randomBytes(24).toString("base64url");
  return opts.scope.$transaction(async (tx) => {
    const existing = await tx.membership.findFirst({ where: { user: { email } } });
    if (existing) throw new AppError("CONFLICT", `email: ${email} is already a member`);
    const inv = await tx.invitation.create({
      data: {
        tenantId: opts.tenantId,
        email,
        role: opts.role,
        tokenHash: hashToken(token),
        invitedById: opts.invitedById,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
    });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "member.invite",
      target: inv.id,
      data: { email, role: opts.role },
    });
    return { ...toInvitationDto(inv), token, acceptPath: `/invite/${token}` };
  });
}

export async function revokeInvitation(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  invitationId: string;
}) {
  return opts.scope.$transaction(async (tx) => {
    const res = await tx.invitation.updateMany({
      where: { id: opts.invitationId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (res.count === 0) throw notFound("invitation");
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "member.invite.revoke",
      target: opts.invitationId,
    });
    return { ok: true as const };
  });
}

/**
 * Invitations are found by their secret, the only tenant-owned lookup that starts without a
 * tenant; everything after it goes through the tenant's scope.
 */
export async function acceptInvitation(opts: { db: Db; userId: string; email: string; token: string }) {
  const inv = await opts.db.invitation.findUnique({ where: { tokenHash: hashToken(opts.token) } });
  if (!inv || inv.revokedAt || inv.acceptedAt || inv.expiresAt <= new Date()) {
    throw new AppError("NOT_FOUND", "token: the invitation is unknown, used, revoked or expired");
  }
  if (inv.email !== opts.email.toLowerCase()) {
    throw new AppError("FORBIDDEN", `token: this invitation is for ${inv.email}; sign in with that address`);
  }
  const scope = scopedDb(opts.db, inv.tenantId);
  return scope.$transaction(async (tx) => {
    const claimed = await tx.invitation.updateMany({
      where: { id: inv.id, acceptedAt: null },
      data: { acceptedAt: new Date() },
    });
    if (claimed.count === 0) throw new AppError("CONFLICT", "token: the invitation was just used");
    const member = await tx.membership.findFirst({ where: { userId: opts.userId } });
    if (member) throw new AppError("CONFLICT", "you are already a member of this tenant");
    await tx.membership.create({ data: { tenantId: inv.tenantId, userId: opts.userId, role: inv.role } });
    const actor = { actorType: "user", actorId: opts.userId };
    await recordAudit({
      db: tx,
      tenantId: inv.tenantId,
      actor,
      action: "member.join",
      target: opts.userId,
      data: { role: inv.role },
    });
    return { tenantId: inv.tenantId, role: inv.role };
  });
}

async function assertOwnerRemains(tx: Tx, leavingUserId: string) {
  const owners = await tx.membership.count({ where: { role: "owner", userId: { not: leavingUserId } } });
  if (owners === 0)
    throw new AppError("CONFLICT", "the tenant must keep at least one owner; make someone else owner first");
}

export async function setMemberRole(opts: {
  scope: ScopedDb;
  tenantId: string;
  actorRole: Role;
  actor: ActorRef;
  userId: string;
  role: Role;
}) {
  return opts.scope.$transaction(async (tx) => {
    const m = await tx.membership.findFirst({ where: { userId: opts.userId } });
    if (!m) throw notFound("member");
    if (!canAssignRole(opts.actorRole, m.role, opts.role)) {
      throw new AppError("FORBIDDEN", `role: a ${opts.actorRole} cannot change a ${m.role} to ${opts.role}`);
    }
    if (m.role === "owner" && opts.role !== "owner") await assertOwnerRemains(tx, opts.userId);
    await tx.membership.updateMany({ where: { userId: opts.userId }, data: { role: opts.role } });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "member.role",
      target: opts.userId,
      data: { from: m.role, to: opts.role },
    });
    return { userId: opts.userId, role: opts.role };
  });
}

/** Removes a member; with `userId` equal to the caller's own id this is "leave the tenant". */
export async function removeMember(opts: {
  scope: ScopedDb;
  tenantId: string;
  actorRole: Role;
  actor: ActorRef;
  userId: string;
  self: boolean;
}) {
  return opts.scope.$transaction(async (tx) => {
    const m = await tx.membership.findFirst({ where: { userId: opts.userId } });
    if (!m) throw notFound("member");
    if (!opts.self && !canAssignRole(opts.actorRole, m.role, "viewer")) {
      throw new AppError("FORBIDDEN", `userId: a ${opts.actorRole} cannot remove a ${m.role}`);
    }
    if (m.role === "owner") await assertOwnerRemains(tx, opts.userId);
    await tx.membership.deleteMany({ where: { userId: opts.userId } });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: opts.self ? "member.leave" : "member.remove",
      target: opts.userId,
    });
    return { ok: true as const };
  });
}
