import { z } from "zod";
import { auditEntryDto } from "./audit";
import { isoDate, isolationLevel, tenantInput, uuid } from "./common";
import { tenantDto } from "./tenants";

// What platform operators see across tenants: every tenant with its quotas, isolation policy and
// usage, the whole audit log, and the job queues.

export const operatorTenantDto = tenantDto.extend({
  quotaVolumeMiB: z.number(),
  members: z.number(),
  deployments: z.number(),
  /** instances that hold capacity now: scheduled, starting, running, stopping */
  instances: z.number(),
});

export const operatorTenantUpdate = tenantInput
  .extend({
    quota: z
      .strictObject({
        cpuMillis: z.number().int().min(0).max(10_000_000),
        memoryMiB: z.number().int().min(0).max(100_000_000),
        instances: z.number().int().min(0).max(100_000),
      })
      .partial()
      .optional(),
    isolation: z
      .strictObject({
        default: isolationLevel,
        allowed: z.array(isolationLevel).min(1, "must allow at least one level").max(3),
        dedicatedHosts: z.boolean(),
      })
      .partial()
      .optional(),
  })
  .strict();

export const operatorAuditInput = z.strictObject({
  limit: z.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^\d+$/, "must be an audit entry id").optional(),
  tenantId: uuid.optional().describe("only this tenant's entries"),
  platform: z.boolean().optional().describe("only entries of no tenant (hosts, join tokens)"),
});

export const operatorAuditEntryDto = auditEntryDto.extend({
  tenantId: uuid.nullable(),
  tenantName: z.string().nullable(),
  actorName: z.string().nullable().describe("the user's name when a person acted"),
});

export const operatorAuditPage = z.object({
  entries: z.array(operatorAuditEntryDto),
  /** pass as `before` for the next (older) page; null at the end */
  next: z.string().nullable(),
});

export const jobCountsDto = z.object({
  waiting: z.number(),
  active: z.number(),
  delayed: z.number(),
  completed: z.number(),
  failed: z.number(),
  paused: z.number(),
});

export const queueDto = z.object({
  name: z.string(),
  kind: z.enum(["placement", "host"]),
  hostName: z.string().nullable(),
  counts: jobCountsDto,
});

/** The states a queue's jobs can be listed by. */
export const jobState = z.enum(["waiting", "active", "delayed", "failed", "completed"]);
export type JobState = z.infer<typeof jobState>;

const queueName = z
  .string()
  .max(100)
  .regex(/^(placement|host-[0-9a-f-]{36})$/, "must be placement or host-<host id>");

export const queueJobsInput = z.strictObject({
  queue: queueName,
  state: jobState.default("failed"),
  start: z.coerce.number().int().min(0).max(100_000).default(0).describe("offset, newest first"),
});

export const queueJobRef = z.strictObject({
  queue: queueName,
  jobId: z.string().min(1).max(200),
});

export const queueJobDto = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  attemptsMade: z.number(),
  failedReason: z.string().nullable(),
  createdAt: isoDate,
  processedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  data: z.string().describe("the job's data as JSON, cut at 2,000 characters"),
});

export const queueJobsPage = z.object({
  queue: z.string(),
  state: jobState,
  /** jobs in that state in all */
  total: z.number(),
  jobs: z.array(queueJobDto),
});
