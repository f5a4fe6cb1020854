import { auditEntryDto, auditListInput, cordonInput, hostDto, hostRef, role, uuid } from "@berth/contracts";
import { z } from "zod";
import { createJoinToken } from "../services/agents";
import { listAudit } from "../services/audit";
import { cordonHost, drainHost, getHost, listHosts, removeHost } from "../services/hosts";
import { authedProcedure, operatorProcedure, router, tenantProcedure } from "../trpc";

export const hostsRouter = router({
  list: operatorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/hosts",
        tags: ["hosts"],
        summary: "Hosts (operators)",
        protect: true,
      },
    })
    .input(z.object({}).strict().optional())
    .output(z.array(hostDto))
    .query(({ ctx }) => listHosts({ db: ctx.db })),
  get: operatorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/hosts/{hostId}",
        tags: ["hosts"],
        summary: "One host (operators)",
        protect: true,
      },
    })
    .input(hostRef)
    .output(hostDto)
    .query(({ ctx, input }) => getHost({ db: ctx.db, hostId: input.hostId })),
  cordon: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/hosts/{hostId}/cordon",
        tags: ["hosts"],
        summary: "Cordon (or uncordon) a host",
        protect: true,
      },
    })
    .input(cordonInput)
    .output(hostDto)
    .mutation(({ ctx, input }) =>
      cordonHost({
        db: ctx.db,
        actor: { actorType: "user", actorId: ctx.actor.userId },
        hostId: input.hostId,
        cordoned: input.cordoned,
      }),
    ),
  drain: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/hosts/{hostId}/drain",
        tags: ["hosts"],
        summary: "Move every instance off a host",
        protect: true,
      },
    })
    .input(hostRef)
    .output(hostDto)
    .mutation(({ ctx, input }) =>
      drainHost({
        db: ctx.db,
        actor: { actorType: "user", actorId: ctx.actor.userId },
        hostId: input.hostId,
      }),
    ),
  remove: operatorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/hosts/{hostId}",
        tags: ["hosts"],
        summary: "Remove an empty host",
        protect: true,
      },
    })
    .input(hostRef)
    .output(hostDto)
    .mutation(({ ctx, input }) =>
      removeHost({
        db: ctx.db,
        redis: ctx.redis,
        actor: { actorType: "user", actorId: ctx.actor.userId },
        hostId: input.hostId,
      }),
    ),
  createJoinToken: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/hosts/join-tokens",
        tags: ["hosts"],
        summary: "Issue a one-time join token (operators)",
        protect: true,
      },
    })
    .input(z.object({}).strict().optional())
    .output(z.object({ token: z.string(), expiresAt: z.string(), command: z.string() }))
    .mutation(({ ctx }) => createJoinToken({ db: ctx.db, userId: ctx.actor.userId, serverUrl: ctx.baseURL })),
});

export const auditRouter = router({
  list: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/audit",
        tags: ["audit"],
        summary: "Who did what, newest first",
        protect: true,
      },
    })
    .input(auditListInput)
    .output(z.array(auditEntryDto))
    .query(({ ctx, input }) => listAudit({ scope: ctx.scope, limit: input.limit, before: input.before })),
});

export const meRouter = router({
  get: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/me",
        tags: ["me"],
        summary: "Who the credentials belong to",
        protect: true,
      },
    })
    .input(z.object({}).strict().optional())
    .output(
      z.object({
        kind: z.enum(["user", "token"]),
        userId: z.string(),
        email: z.string().nullable(),
        name: z.string().nullable(),
        isOperator: z.boolean(),
        tenantId: uuid.nullable().describe("for a token: the tenant it acts in"),
        role: role.nullable(),
      }),
    )
    .query(({ ctx }) => {
      const a = ctx.actor;
      return a.kind === "user"
        ? {
            kind: a.kind,
            userId: a.userId,
            email: a.email,
            name: a.name,
            isOperator: a.isOperator,
            tenantId: null,
            role: null,
          }
        : {
            kind: a.kind,
            userId: a.userId,
            email: null,
            name: null,
            isOperator: false,
            tenantId: a.tenantId,
            role: a.role,
          };
    }),
});
