import {
  createDeploymentInput,
  deploymentDto,
  deploymentEventDto,
  deploymentEventsInput,
  deploymentLogsDto,
  deploymentLogsInput,
  deploymentRef,
  instanceDto,
  revisionDto,
  rollbackInput,
  scaleInput,
  tenantInput,
  updateDeploymentInput,
} from "@berth/contracts";
import { z } from "zod";
import { listDeploymentEvents } from "../services/deployment-events";
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  listDeployments,
  listInstances,
} from "../services/deployments";
import { scaleDeployment, startDeployment, stopDeployment } from "../services/lifecycle";
import { readDeploymentLogs } from "../services/logs";
import { listRevisions, restartDeployment, rollbackDeployment, updateDeployment } from "../services/rollout";
import { router, tenantProcedure } from "../trpc";

const tags = ["deployments"];

export const deploymentsRouter = router({
  list: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/deployments",
        tags,
        summary: "Deployments with their instances",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.array(deploymentDto))
    .query(({ ctx }) => listDeployments({ scope: ctx.scope })),
  get: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/deployments/{deploymentId}",
        tags,
        summary: "One deployment",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(deploymentDto)
    .query(({ ctx, input }) => getDeployment({ scope: ctx.scope, deploymentId: input.deploymentId })),
  create: tenantProcedure("member")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/deployments",
        tags,
        summary: "Create a deployment (records desired state)",
        protect: true,
      },
    })
    .input(createDeploymentInput)
    .output(deploymentDto)
    .mutation(({ ctx, input }) => {
      const { tenantId: _, ...spec } = input;
      return createDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        spec,
        placement: ctx.placementQueue,
        registries: { db: ctx.db, key: ctx.credentialKey },
        secretKey: ctx.credentialKey,
      });
    }),
  delete: tenantProcedure("member")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/tenants/{tenantId}/deployments/{deploymentId}",
        tags,
        summary: "Delete a deployment",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(deploymentDto)
    .mutation(({ ctx, input }) =>
      deleteDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId: input.deploymentId,
      }),
    ),
  scale: tenantProcedure("member")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/scale",
        tags,
        summary: "Change the number of replicas",
        protect: true,
      },
    })
    .input(scaleInput)
    .output(deploymentDto)
    .mutation(({ ctx, input }) =>
      scaleDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId: input.deploymentId,
        placement: ctx.placementQueue,
        replicas: input.replicas,
      }),
    ),
  stop: tenantProcedure("member")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/stop",
        tags,
        summary: "Stop every instance, keep the deployment",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(deploymentDto)
    .mutation(({ ctx, input }) =>
      stopDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId: input.deploymentId,
        placement: ctx.placementQueue,
      }),
    ),
  start: tenantProcedure("member")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/start",
        tags,
        summary: "Start a stopped deployment",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(deploymentDto)
    .mutation(({ ctx, input }) =>
      startDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId: input.deploymentId,
        placement: ctx.placementQueue,
      }),
    ),
  update: tenantProcedure("member")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/tenants/{tenantId}/deployments/{deploymentId}",
        tags,
        summary: "Change what runs: a rolling update to a new generation",
        protect: true,
      },
    })
    .input(updateDeploymentInput)
    .output(deploymentDto)
    .mutation(({ ctx, input }) => {
      const { tenantId: _t, deploymentId, ...change } = input;
      // a field the schema filled in but the caller did not send is not a change
      const sent = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
      return updateDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId,
        change: sent,
        placement: ctx.placementQueue,
        registries: { db: ctx.db, key: ctx.credentialKey },
        secretKey: ctx.credentialKey,
      });
    }),
  rollback: tenantProcedure("member")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/rollback",
        tags,
        summary: "Roll back to an earlier generation",
        protect: true,
      },
    })
    .input(rollbackInput)
    .output(deploymentDto)
    .mutation(({ ctx, input }) =>
      rollbackDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId: input.deploymentId,
        toGeneration: input.toGeneration,
        placement: ctx.placementQueue,
      }),
    ),
  revisions: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/revisions",
        tags,
        summary: "The generations of a deployment",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(z.array(revisionDto))
    .query(({ ctx, input }) => listRevisions({ scope: ctx.scope, deploymentId: input.deploymentId })),
  restart: tenantProcedure("member")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/restart",
        tags,
        summary: "Replace every instance with a fresh one, one at a time (a new generation, same spec)",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(deploymentDto)
    .mutation(({ ctx, input }) =>
      restartDeployment({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        deploymentId: input.deploymentId,
        placement: ctx.placementQueue,
      }),
    ),
  events: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/events",
        tags,
        summary: "Its timeline: changes (from the audit log) and instances created, started and ended",
        protect: true,
      },
    })
    .input(deploymentEventsInput)
    .output(z.array(deploymentEventDto))
    .query(({ ctx, input }) =>
      listDeploymentEvents({ scope: ctx.scope, deploymentId: input.deploymentId, limit: input.limit }),
    ),
  logs: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/logs",
        tags,
        summary: "The last lines its instances wrote (stdout and stderr)",
        description:
          "With `follow=true` and `Accept: text/event-stream`: server-sent events, one per line (`data` is a line object as below), the last `tail` lines first, then each new line as it is shipped, instances that appear later included.",
        protect: true,
      },
    })
    .input(deploymentLogsInput)
    .output(deploymentLogsDto)
    .query(async ({ ctx, input }) => {
      const { lines } = await readDeploymentLogs({
        scope: ctx.scope,
        db: ctx.db,
        redis: ctx.redis,
        prefix: ctx.queuePrefix,
        ...input,
      });
      return { lines };
    }),
});

export const instancesRouter = router({
  list: tenantProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/deployments/{deploymentId}/instances",
        tags: ["instances"],
        summary: "Instances of a deployment",
        protect: true,
      },
    })
    .input(deploymentRef)
    .output(z.array(instanceDto))
    .query(({ ctx, input }) => listInstances({ scope: ctx.scope, deploymentId: input.deploymentId })),
});
