import { z } from "zod";
import { displayName, isoDate, isolationLevel, role, slug, tenantInput, uuid } from "./common";

export const tenantDto = z.object({
  id: uuid,
  slug: z.string(),
  name: z.string(),
  role: role.nullable().describe("the caller's role in the tenant; null for operators who are not members"),
  createdAt: isoDate,
  quota: z.object({ cpuMillis: z.number(), memoryMiB: z.number(), instances: z.number() }),
  isolation: z.object({
    default: isolationLevel,
    allowed: z.array(isolationLevel),
    dedicatedHosts: z.boolean(),
  }),
});
export type TenantDto = z.infer<typeof tenantDto>;

export const createTenantInput = z.strictObject({ name: displayName, slug });
export const updateTenantInput = tenantInput.extend({ name: displayName }).strict();

export const memberDto = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  role,
  createdAt: isoDate,
});

export const inviteInput = tenantInput
  .extend({ email: z.email({ error: "must be an email address" }).max(254), role: role.default("member") })
  .strict();

export const invitationDto = z.object({
  id: uuid,
  email: z.string(),
  role,
  expiresAt: isoDate,
  createdAt: isoDate,
  acceptedAt: isoDate.nullable(),
});

export const createdInvitationDto = invitationDto.extend({
  token: z.string().describe("shown once: the invitee accepts with it"),
  acceptPath: z.string(),
});

export const acceptInvitationInput = z.strictObject({ token: z.string().min(20).max(200) });

export const setRoleInput = tenantInput.extend({ userId: z.string().min(1).max(100), role }).strict();
export const removeMemberInput = tenantInput.extend({ userId: z.string().min(1).max(100) }).strict();
