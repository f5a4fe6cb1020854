import { tenantInput, volumeDto, volumeListDto, volumeRef } from "@berth/contracts";
import { deleteVolume, listVolumes } from "../services/volumes";
import { router, tenantProcedure } from "../trpc";

const tags = ["volumes"];

export const volumesRouter = router({
  list: tenantProcedure("member")
    .meta({
      openapi: {
        method: "GET",
        path: "/tenants/{tenantId}/volumes",
        tags,
        summary: "Volumes, where their data lives and who mounts them, with the volume quota",
        protect: true,
      },
    })
    .input(tenantInput.strict())
    .output(volumeListDto)
    .query(({ ctx }) => listVolumes({ scope: ctx.scope, tenantId: ctx.tenant.id })),
  delete: tenantProcedure("admin")
    .meta({
      openapi: {
        method: "DELETE",
        path: "/tenants/{tenantId}/volumes/{name}",
        tags,
        summary: "Delete a volume and its data (refused while a deployment mounts it)",
        protect: true,
      },
    })
    .input(volumeRef)
    .output(volumeDto)
    .mutation(({ ctx, input }) =>
      deleteVolume({ scope: ctx.scope, tenantId: ctx.tenant.id, actor: ctx.actorRef, name: input.name }),
    ),
});
