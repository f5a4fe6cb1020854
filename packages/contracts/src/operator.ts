import { z } from "zod";
import { auditEntryDto } from "./audit";
import { isolationLevel, tenantInput, uuid } from "./common";
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
