import type { Role } from "@berth/contracts";
import type { Deps } from "./deps";
import { toTRPCError } from "./errors";
import { authenticateHost } from "./services/agents";
import { authenticateToken } from "./services/tokens";

export type Actor =
  | { kind: "user"; userId: string; email: string; name: string; isOperator: boolean }
  | { kind: "token"; tokenId: string; userId: string; tenantId: string; role: Role }
  | { kind: "host"; hostId: string };

export type Context = Deps & {
  actor: Actor | null;
  /** Why the request carries credentials that did not authenticate, to tell the caller. */
  authError: string | null;
};

/**
 * Authentication reads Postgres before any procedure runs, so the procedures' error mapping does
 * not see its failures: map them here too, or a lost database answers 500 instead of 503 with
 * Retry-After.
 */
export async function createContext(deps: Deps, headers: Headers): Promise<Context> {
  try {
    return await authenticate(deps, headers);
  } catch (err) {
    const mapped = toTRPCError(err);
    if (mapped.code === "INTERNAL_SERVER_ERROR") console.error(err);
    throw mapped;
  }
}

async function authenticate(deps: Deps, headers: Headers): Promise<Context> {
  const authz = headers.get("authorization");
  if (authz) {
    const m = /^Bearer\s+(\S+)$/i.exec(authz);
    if (!m?.[1]) return { ...deps, actor: null, authError: "Authorization header must be 'Bearer <token>'" };
    if (m[1].startsWith("bhost_")) {
      const hostId = await authenticateHost(deps.db, m[1]);
      return hostId
        ? { ...deps, actor: { kind: "host", hostId }, authError: null }
        : { ...deps, actor: null, authError: "the host token is unknown or the host was removed" };
    }
    const actor = await authenticateToken({ db: deps.db, token: m[1] });
    return actor
      ? { ...deps, actor, authError: null }
      : { ...deps, actor: null, authError: "the API token is invalid, expired or revoked" };
  }
  const session = await deps.auth.api.getSession({ headers });
  if (!session) return { ...deps, actor: null, authError: null };
  const operator = await deps.db.operator.findUnique({ where: { userId: session.user.id } });
  return {
    ...deps,
    actor: {
      kind: "user",
      userId: session.user.id,
      email: session.user.email,
      name: session.user.name,
      isOperator: operator !== null,
    },
    authError: null,
  };
}
