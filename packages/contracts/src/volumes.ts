import { z } from "zod";
import { dnsLabel, isoDate, tenantInput, uuid } from "./common";

// A tenant's named volumes: made on the first mount (deployments' `volumes`), bound to the host
// of the first instance that mounts them, deleted only by the tenant once nothing mounts them.

export const volumeDto = z.object({
  id: uuid,
  name: z.string(),
  sizeMiB: z.number(),
  host: z
    .object({ id: uuid, name: z.string() })
    .nullable()
    .describe("the host its data lives on; null until an instance that mounts it is first placed"),
  usedBy: z
    .array(
      z.object({
        deploymentId: uuid,
        deploymentName: z.string(),
        mountPath: z.string(),
        readOnly: z.boolean(),
      }),
    )
    .describe("the deployments (running or stopped) that mount it"),
  createdAt: isoDate,
});
export type VolumeDto = z.infer<typeof volumeDto>;

export const volumeListDto = z.object({
  volumes: z.array(volumeDto),
  /** The tenant's volume quota (Tenant.quotaVolumeMiB) and the sizes of its volumes together. */
  quotaMiB: z.number(),
  usedMiB: z.number(),
});
export type VolumeListDto = z.infer<typeof volumeListDto>;

export const volumeRef = tenantInput.extend({ name: dnsLabel }).strict();
