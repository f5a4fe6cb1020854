import { z } from "zod";
import { uuid } from "./common";
import { deploymentRef } from "./deployments";

/**
 * Where an instance's log lines live: a Redis stream per instance under its host's log key space,
 * the only keys besides its queue that the host's Redis ACL user may write. The agent appends
 * (field `line`); the control plane reads. The entry id's time part is when the line was shipped.
 */
export const logStreamKey = (prefix: string, hostId: string, instanceId: string) =>
  `${prefix}:logs:${hostId}:${instanceId}`;

/** Beside the stream: how far into the instance's log file the agent has shipped. */
export const logCursorKey = (prefix: string, hostId: string, instanceId: string) =>
  `${logStreamKey(prefix, hostId, instanceId)}:cursor`;

export const deploymentLogsInput = deploymentRef
  .extend({
    instanceId: uuid.optional().describe("only this instance's lines"),
    tail: z.coerce
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(10_000, "must be at most 10000")
      .default(200)
      .describe("the last this many lines (of all instances together)"),
    since: z.iso
      .datetime({ error: "must be an ISO 8601 date-time" })
      .optional()
      .describe("only lines shipped after this time"),
  })
  .strict();
export type DeploymentLogsInput = z.infer<typeof deploymentLogsInput>;

export const logLineDto = z.object({
  instanceId: uuid,
  /** When the agent shipped the line (ISO 8601). */
  ts: z.iso.datetime(),
  line: z.string(),
  /** The stream entry id: a cursor for following on from this line. */
  id: z.string(),
});
export type LogLineDto = z.infer<typeof logLineDto>;

export const deploymentLogsDto = z.object({ lines: z.array(logLineDto) });
