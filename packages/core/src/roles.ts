import type { Role, TokenScope } from "@berth/contracts";

const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function roleAtLeast(role: Role, min: Role): boolean {
  return rank[role] >= rank[min];
}

/**
 * A token acts with its creator's current role in the tenant (so removing or demoting the
 * creator takes effect on their tokens at once), capped at viewer when it lacks the write scope.
 */
export function tokenRole(creatorRole: Role, scopes: readonly TokenScope[]): Role {
  return scopes.includes("write") ? creatorRole : "viewer";
}

/** Who may give a role: only owners make or unmake owners; admins manage the rest. */
export function canAssignRole(actor: Role, from: Role | null, to: Role): boolean {
  if (to === "owner" || from === "owner") return actor === "owner";
  return roleAtLeast(actor, "admin");
}
