import { createTenantInput, tenantDto, tenantInput, updateTenantInput } from "@berth/contracts";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { removeMember } from "../services/members";
import { createTenant, getTenant, listTenants, updateTenant } from "../services/tenants";
import { authedProcedure, router, tenantProcedure, userProcedure } from "../trpc";

const tags = ["tenants"];

export const tenantsRouter = router({
  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/tenants", tags, summary: "Tenants you belong to", protect: true },
    })
    .input(z.object({}).strict().optional())
    .output(z.array(tenantDto))
    .query(({ ctx }) => listTenants({ db: ctx.db, actor: ctx.actor })),
  create: userProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants",
        tags,
        summary: "Create a tenant (you become its owner)",
        protect: true,
      },
    })
    .input(createTenantInput)
    .output(tenantDto)
    .mutation(({ ctx, input }) =>
      createTenant({ db: ctx.db, userId: ctx.actor.userId, name: input.name, slug: input.slug }),
    ),
  get: tenantProcedure("viewer")
    .meta({
      openapi: { method: "GET", path: "/tenants/{tenantId}", tags, summary: "One tenant", protect: true },
    })
    .input(tenantInput.strict())
    .output(tenantDto)
    .query(({ ctx }) => getTenant({ db: ctx.db, tenantId: ctx.tenant.id, role: ctx.tenant.role })),
  update: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/tenants/{tenantId}",
        tags,
        summary: "Rename a tenant",
        protect: true,
      },
    })
    .input(updateTenantInput)
    .output(tenantDto)
    .mutation(({ ctx, input }) =>
      updateTenant({
        db: ctx.db,
        tenantId: ctx.tenant.id,
        role: ctx.tenant.role,
        actor: ctx.actorRef,
        name: input.name,
      }),
    ),
  leave: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/leave",
        tags,
        summary: "Leave a tenant",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx }) => {
      if (ctx.actor.kind !== "user") {
        throw new TRPCError({
          code: "FORBIDDEN",
          message: "an API token cannot leave a tenant; revoke it instead",
        });
      }
      return removeMember({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actorRole: ctx.tenant.role,
        actor: ctx.actorRef,
        userId: ctx.actor.userId,
        self: true,
      });
    }),
});
