import { createdTokenDto, createTokenInput, revokeTokenInput, tenantInput, tokenDto } from "@berth/contracts";
import { z } from "zod";
import { createToken, listTokens, revokeToken } from "../services/tokens";
import { router, tenantProcedure } from "../trpc";

const tags = ["tokens"];

export const tokensRouter = router({
  list: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/tokens",
        tags,
        summary: "API tokens (never their secrets)",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.array(tokenDto))
    .query(({ ctx }) => listTokens({ scope: ctx.scope })),
  create: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/tokens",
        tags,
        summary: "Create an API token (shown once)",
        protect: true,
      },
    })
    .input(createTokenInput)
    .output(createdTokenDto)
    .mutation(({ ctx, input }) =>
      createToken({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        userId: ctx.actor.userId,
        actor: ctx.actorRef,
        name: input.name,
        scopes: input.scopes,
        expiresInDays: input.expiresInDays,
      }),
    ),
  revoke: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/tenants/{tenantId}/tokens/{tokenId}",
        tags,
        summary: "Revoke an API token",
        protect: true,
      },
    })
    .input(revokeTokenInput)
    .output(tokenDto)
    .mutation(({ ctx, input }) =>
      revokeToken({ scope: ctx.scope, tenantId: ctx.tenant.id, actor: ctx.actorRef, tokenId: input.tokenId }),
    ),
});
