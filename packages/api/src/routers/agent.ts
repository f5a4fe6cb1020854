import {
  heartbeatRequest,
  heartbeatResponse,
  instanceReport,
  instanceSpecDto,
  joinRequest,
  joinResponse,
  reportResponse,
  uuid,
} from "@berth/contracts";
import { z } from "zod";
import { applyReport, heartbeat, instanceSpec, joinHost } from "../services/agents";
import { agentProcedure, publicProcedure, router } from "../trpc";

const tags = ["agent"];

/** The node agent's endpoints. Join is public (the one-time token is the credential). */
export const agentRouter = router({
  join: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/agent/join",
        tags,
        summary: "Enroll a host with a one-time join token",
      },
    })
    .input(joinRequest)
    .output(joinResponse)
    .mutation(({ ctx, input }) =>
      joinHost({
        db: ctx.db,
        redis: ctx.redis,
        redisUrl: ctx.redisUrl,
        queuePrefix: ctx.queuePrefix,
        req: input,
      }),
    ),
  heartbeat: agentProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/agent/heartbeat",
        tags,
        summary: "Host heartbeat with its instances",
        protect: true,
      },
    })
    .input(heartbeatRequest)
    .output(heartbeatResponse)
    .mutation(({ ctx, input }) => heartbeat(ctx.db, ctx.hostId, input)),
  report: agentProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/agent/report",
        tags,
        summary: "Report an instance's state change",
        protect: true,
      },
    })
    .input(instanceReport)
    .output(reportResponse)
    .mutation(({ ctx, input }) => applyReport(ctx.db, ctx.hostId, input)),
  instance: agentProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/agent/instances/{instanceId}",
        tags,
        summary: "What to run for an instance",
        protect: true,
      },
    })
    .input(z.strictObject({ instanceId: uuid }))
    .output(instanceSpecDto)
    .query(({ ctx, input }) => instanceSpec(ctx.db, ctx.hostId, input.instanceId, ctx.credentialKey)),
});
