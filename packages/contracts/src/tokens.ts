import { z } from "zod";
import { displayName, isoDate, tenantInput, tokenScope, uuid } from "./common";

export const tokenDto = z.object({
  id: uuid,
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(tokenScope),
  createdAt: isoDate,
  expiresAt: isoDate.nullable(),
  lastUsedAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
});

export const createTokenInput = tenantInput
  .extend({
    name: displayName,
    scopes: z.array(tokenScope).min(1, "must name at least one scope").max(2).default(["read", "write"]),
    expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
  })
  .strict();

export const createdTokenDto = tokenDto.extend({
  token: z.string().describe("the bearer token; shown once, stored only as a hash"),
});

export const revokeTokenInput = tenantInput.extend({ tokenId: uuid }).strict();
