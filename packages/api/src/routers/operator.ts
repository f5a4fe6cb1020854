import {
  operatorAuditInput,
  operatorAuditPage,
  operatorTenantDto,
  operatorTenantUpdate,
  queueDto,
} from "@berth/contracts";
import { z } from "zod";
import { listAllAudit, listAllTenants, listQueues, updateTenantPolicy } from "../services/operator";
import { operatorProcedure, router } from "../trpc";

const tags = ["operator"];

/** Platform operators only: every tenant's policy, the whole audit log, the job queues. */
export const operatorRouter = router({
  tenants: operatorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/operator/tenants",
        tags,
        summary: "Every tenant with its quotas, isolation policy and usage (operators)",
        protect: true,
      },
    })
    .input(z.object({}).strict().optional())
    .output(z.array(operatorTenantDto))
    .query(({ ctx }) => listAllTenants({ db: ctx.db })),
  updateTenant: operatorProcedure
    .meta({
      openapi: {
        method: "PATCH",
        path: "/operator/tenants/{tenantId}",
        tags,
        summary: "Set a tenant's quotas and isolation policy (operators)",
        protect: true,
      },
    })
    .input(operatorTenantUpdate)
    .output(operatorTenantDto)
    .mutation(({ ctx, input }) =>
      updateTenantPolicy({
        db: ctx.db,
        actor: { actorType: "user", actorId: ctx.actor.userId },
        tenantId: input.tenantId,
        quota: input.quota,
        isolation: input.isolation,
      }),
    ),
  audit: operatorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/operator/audit",
        tags,
        summary: "The whole audit log, newest first, by pages (operators)",
        protect: true,
      },
    })
    .input(operatorAuditInput)
    .output(operatorAuditPage)
    .query(({ ctx, input }) => listAllAudit({ db: ctx.db, ...input })),
  queues: operatorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/operator/queues",
        tags,
        summary: "Job counts of the placement queue and every host's queue (operators)",
        protect: true,
      },
    })
    .input(z.object({}).strict().optional())
    .output(z.array(queueDto))
    .query(({ ctx }) =>
      listQueues({ db: ctx.db, redis: ctx.redis, prefix: ctx.queuePrefix, placement: ctx.placementQueue }),
    ),
});
