import { z } from "zod";
import { isoDate, tenantInput } from "./common";

export const auditEntryDto = z.object({
  id: z.string(),
  actorType: z.string(),
  actorId: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: isoDate,
});

export const auditListInput = tenantInput
  .extend({
    limit: z.number().int().min(1).max(500).default(100),
    before: z.string().regex(/^\d+$/, "must be an audit entry id").optional(),
  })
  .strict();
