import {
  registryCatalog,
  registryCredentialDto,
  registryRef,
  setRegistryCredentialInput,
  tenantInput,
} from "@berth/contracts";
import { z } from "zod";
import { tenantCatalog } from "../services/catalog";
import {
  deleteRegistryCredential,
  listRegistryCredentials,
  setRegistryCredential,
} from "../services/registries";
import { router, tenantProcedure } from "../trpc";

const tags = ["registries"];

export const registriesRouter = router({
  list: tenantProcedure("member")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/registries",
        tags,
        summary: "Registries the tenant has credentials for (never the passwords)",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.array(registryCredentialDto))
    .query(({ ctx }) => listRegistryCredentials({ scope: ctx.scope })),
  catalog: tenantProcedure("member")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/registries/catalog",
        tags,
        summary:
          "Images the platform's registry and the tenant's registries offer, with their kind (what the deploy form suggests)",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(z.array(registryCatalog))
    .query(({ ctx }) =>
      tenantCatalog({
        scope: ctx.scope,
        key: ctx.credentialKey,
        tenantId: ctx.tenant.id,
        platformRegistry: ctx.platformRegistry,
      }),
    ),
  set: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "POST",
        path: "/tenants/{tenantId}/registries",
        tags,
        summary: "Store (or replace) the credentials agents pull this tenant's images from a registry with",
        protect: true,
      },
    })
    .input(setRegistryCredentialInput)
    .output(registryCredentialDto)
    .mutation(({ ctx, input }) =>
      setRegistryCredential({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        key: ctx.credentialKey,
        registry: input.registry,
        username: input.username,
        password: input.password,
      }),
    ),
  delete: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/tenants/{tenantId}/registries/{registry}",
        tags,
        summary: "Forget a registry's credentials",
        protect: true,
      },
    })
    .input(registryRef)
    .output(registryCredentialDto)
    .mutation(({ ctx, input }) =>
      deleteRegistryCredential({
        scope: ctx.scope,
        tenantId: ctx.tenant.id,
        actor: ctx.actorRef,
        registry: input.registry,
      }),
    ),
});
