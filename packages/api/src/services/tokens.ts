import { createHash, randomBytes } from "node:crypto";
import type { TokenScope } from "@berth/contracts";
import { tokenRole } from "@berth/core";
import type { Db } from "@berth/db";
import type { Actor } from "../context";
import { notFound } from "../errors";
import type { ScopedDb } from "../scope";
import { type ActorRef, recordAudit } from "./audit";

const PREFIX = "berth_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

type TokenRow = {
  id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

export function toTokenDto(t: TokenRow) {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export async function listTokens(opts: { scope: ScopedDb }) {
  const rows = await opts.scope.apiToken.findMany({ orderBy: { createdAt: "desc" } });
  return rows.map(toTokenDto);
}

/** 32 random bytes: the token is returned once; only its SHA-256 is kept (it has full entropy). */
export async function createToken(opts: {
  scope: ScopedDb;
  tenantId: string;
  userId: string;
  actor: ActorRef;
  name: string;
  scopes: TokenScope[];
  expiresInDays: number | null;
}) {
  const token = PREFIX + randomBytes(32).toString("base64url");
  const scopes = [...new Set(opts.scopes)];
  const row = await opts.scope.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: {
        tenantId: opts.tenantId,
        name: opts.name,
        prefix: token.slice(0, PREFIX.length + 6),
        hash: hashToken(token),
        scopes,
        createdById: opts.userId,
        expiresAt: opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000) : null,
      },
    });
    await recordAudit({
      db: tx,
      tenantId: opts.tenantId,
      actor: opts.actor,
      action: "token.create",
      target: created.id,
      data: { name: opts.name, scopes },
    });
    return created;
  });
  return { ...toTokenDto(row), token };
}

export async function revokeToken(opts: {
  scope: ScopedDb;
  tenantId: string;
  actor: ActorRef;
  tokenId: string;
}) {
  return opts.scope.$transaction(async (tx) => {
    const res = await tx.apiToken.updateMany({
      where: { id: opts.tokenId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    const row = await tx.apiToken.findFirst({ where: { id: opts.tokenId } });
    if (!row) throw notFound("token");
    if (res.count > 0) {
      await recordAudit({
        db: tx,
        tenantId: opts.tenantId,
        actor: opts.actor,
        action: "token.revoke",
        target: row.id,
      });
    }
    return toTokenDto(row);
  });
}

// lastUsedAt is advisory; writing it on every request would turn reads into writes.
const LAST_USED_GRANULARITY_MS = 60_000;

/** Resolves a bearer token to the actor it stands for, or null when it must be refused. */
export async function authenticateToken(opts: { db: Db; token: string }): Promise<Actor | null> {
  if (!opts.token.startsWith(PREFIX) || opts.token.length > 100) return null;
  const row = await opts.db.apiToken.findUnique({ where: { hash: hashToken(opts.token) } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= new Date())) return null;
  const member = await opts.db.membership.findUnique({
    where: { tenantId_userId: { tenantId: row.tenantId, userId: row.createdById } },
  });
  if (!member) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await opts.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return {
    kind: "token",
    tokenId: row.id,
    userId: row.createdById,
    tenantId: row.tenantId,
    role: tokenRole(member.role, row.scopes),
  };
}
