import { type Role, uuid } from "@berth/contracts";
import { roleAtLeast } from "@berth/core";
import { initTRPC, TRPCError } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { Context } from "./context";
import { toTRPCError, UNSTORABLE_TEXT } from "./errors";
import { scopedDb } from "./scope";

type Issue = { path?: readonly PropertyKey[]; message: string };

/** The input issues of a validation error, whatever validator raised them. */
export function inputIssues(error: TRPCError): Issue[] | null {
  if (error.code !== "BAD_REQUEST") return null;
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : null;
}

/** "name: must be 1 to 63 lowercase letters…; ports.0.port: Too big…": the fields come first. */
export function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path?.length ? i.path.map(String).join(".") : "body";
      return `${where}: ${i.message}`;
    })
    .join("; ");
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const issues = inputIssues(error);
      return {
        ...shape,
        message: issues ? describeIssues(issues) : shape.message,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, issues },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Errors from services (AppError, Prisma, connection loss) become the right tRPC error here.
 * Text Postgres cannot store (a NUL character) passes the schemas and fails in the statement,
 * which writes nothing; the answer then names the field that carried it.
 */
const mapErrors = t.middleware(async ({ next, getRawInput }) => {
  const res = await next();
  if (!res.ok && res.error.code === "INTERNAL_SERVER_ERROR" && res.error.cause) {
    let mapped = toTRPCError(res.error.cause);
    if (mapped.message === UNSTORABLE_TEXT) {
      const where = findNul(await getRawInput().catch(() => undefined)) ?? "body";
      mapped = new TRPCError({
        code: "BAD_REQUEST",
        message: `${where}: must not contain NUL (\\u0000) characters`,
      });
    }
    if (mapped.code === "INTERNAL_SERVER_ERROR") console.error(res.error.cause);
    return { ...res, error: mapped };
  }
  return res;
});

/** The path of the first string holding a NUL character: Postgres text cannot store one. */
export function findNul(value: unknown, path: string[] = []): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path.join(".") || "body" : null;
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\u0000")) return [...path, k].join(".");
      const found = findNul(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

export const publicProcedure = t.procedure.use(mapErrors);

/** A person or an API token; hosts have their own procedure kind and reach nothing else. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "sign in or send an API token" });
  }
  if (ctx.actor.kind === "host")
    throw new TRPCError({ code: "FORBIDDEN", message: "host tokens reach only the agent endpoints" });
  return next({ ctx: { actor: ctx.actor } });
});

/** The node agent of one host, authenticated by its host token. */
export const agentProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.actor?.kind !== "host") {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: ctx.authError ?? "send the host token as a bearer token",
    });
  }
  return next({ ctx: { hostId: ctx.actor.hostId } });
});

/** A signed-in person; API tokens act inside one tenant and cannot create or join others. */
export const userProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.actor.kind !== "user") {
    throw new TRPCError({ code: "FORBIDDEN", message: "this needs a signed-in user, not an API token" });
  }
  return next({ ctx: { actor: ctx.actor } });
});

export const operatorProcedure = userProcedure.use(({ ctx, next }) => {
  if (!ctx.actor.isOperator) throw new TRPCError({ code: "FORBIDDEN", message: "operators only" });
  return next();
});

/**
 * Tenant-owned work. Resolves the caller's role in the tenant named by `tenantId` before the
 * input is parsed, and hands the handler a database confined to that tenant. A tenant the caller
 * does not belong to is "not found", never "forbidden": ids of other tenants reveal nothing.
 */
export function tenantProcedure(minRole: Role) {
  return authedProcedure.use(async ({ ctx, next, getRawInput }) => {
    const raw = (await getRawInput()) as { tenantId?: unknown } | undefined;
    const parsed = uuid.safeParse(raw?.tenantId);
    if (!parsed.success) throw new TRPCError({ code: "BAD_REQUEST", message: "tenantId: must be a UUID" });
    const tenantId = parsed.data;
    let role: Role | null = null;
    if (ctx.actor.kind === "token") {
      role = ctx.actor.tenantId === tenantId ? ctx.actor.role : null;
    } else {
      const m = await ctx.db.membership.findUnique({
        where: { tenantId_userId: { tenantId, userId: ctx.actor.userId } },
        select: { role: true },
      });
      role = m?.role ?? null;
    }
    if (!role) throw new TRPCError({ code: "NOT_FOUND", message: "tenant not found" });
    if (!roleAtLeast(role, minRole)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `this needs the ${minRole} role; you are ${role}` });
    }
    const actorRef =
      ctx.actor.kind === "user"
        ? { actorType: "user", actorId: ctx.actor.userId }
        : { actorType: "token", actorId: ctx.actor.tokenId };
    return next({ ctx: { tenant: { id: tenantId, role }, scope: scopedDb(ctx.db, tenantId), actorRef } });
  });
}
