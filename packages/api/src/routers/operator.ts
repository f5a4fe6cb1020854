import {
  operatorAuditInput,
  operatorAuditPage,
  operatorTenantDto,
  operatorTenantUpdate,
  queueDto,
  queueJobDto,
  queueJobRef,
  queueJobsInput,
  queueJobsPage,
} from "@berth/contracts";
import { z } from "zod";
import type { Deps } from "../deps";
import { listAllAudit, listAllTenants, updateTenantPolicy } from "../services/operator";
import { listQueueJobs, listQueues, removeQueueJob, retryQueueJob } from "../services/queues";
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
    .query(({ ctx }) => listQueues(queueDeps(ctx))),
  queueJobs: operatorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/operator/queues/{queue}/jobs",
        tags,
        summary: "A queue's jobs in one state (default failed), newest first, 50 a page (operators)",
        protect: true,
      },
    })
    .input(queueJobsInput)
    .output(queueJobsPage)
    .query(({ ctx, input }) => listQueueJobs({ ...queueDeps(ctx), ...input })),
  retryJob: operatorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/operator/queues/{queue}/jobs/{jobId}/retry",
        tags,
        summary: "Put a failed job back to waiting (operators; audited)",
        protect: true,
      },
    })
    .input(queueJobRef)
    .output(queueJobDto)
    .mutation(({ ctx, input }) =>
      retryQueueJob({ ...queueDeps(ctx), ...input, actor: { actorType: "user", actorId: ctx.actor.userId } }),
    ),
  removeJob: operatorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/operator/queues/{queue}/jobs/{jobId}",
        tags,
        summary: "Remove a job that is not running (operators; audited)",
        protect: true,
      },
    })
    .input(queueJobRef)
    .output(queueJobDto)
    .mutation(({ ctx, input }) =>
      removeQueueJob({
        ...queueDeps(ctx),
        ...input,
        actor: { actorType: "user", actorId: ctx.actor.userId },
      }),
    ),
});

function queueDeps(ctx: Pick<Deps, "db" | "redis" | "queuePrefix" | "placementQueue">) {
  return { db: ctx.db, redis: ctx.redis, prefix: ctx.queuePrefix, placement: ctx.placementQueue };
}
