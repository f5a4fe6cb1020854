import "server-only";
import type { TenantDto } from "@berth/contracts";
import { TRPCError } from "@trpc/server";
import { connection } from "next/server";
import { cache } from "react";
import { serverCaller } from "@/server/caller";

export type ViewerUser = { id: string; name: string; email: string; isOperator: boolean };
export type Viewer = { user: ViewerUser; tenants: TenantDto[] };

/**
 * The signed-in person of this request and their tenants, or null when signed out (an API
 * token does not count: the dashboard is for people). Cached per request, so a layout and its
 * page share one session lookup.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  // Request-time only: serverCaller() opens the connections before it reads the headers, which
  // would otherwise run (and fail, without the server's env) while prerendering at build time.
  await connection();
  const { caller, actor } = await serverCaller();
  if (actor?.kind !== "user") return null;
  const tenants = await caller.tenants.list();
  return {
    user: { id: actor.userId, name: actor.name, email: actor.email, isOperator: actor.isOperator },
    tenants,
  };
});

/** One tenant as the viewer sees it, or null when it does not exist for them. */
export const getTenant = cache(async (tenantId: string): Promise<TenantDto | null> => {
  await connection();
  const { caller } = await serverCaller();
  try {
    return await caller.tenants.get({ tenantId });
  } catch (err) {
    if (err instanceof TRPCError && ["NOT_FOUND", "BAD_REQUEST", "FORBIDDEN"].includes(err.code)) return null;
    throw err;
  }
});
