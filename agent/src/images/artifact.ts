// Unikernel artifacts (docs/unikernel.md): an OCI image manifest whose config media type names a
// unikernel and whose single layer is the kernel. The store keeps them in its layout like any
// image but unpacks nothing: the driver boots the kernel blob as it is. The media types are
// @berth/contracts' (the control plane checks them too); infra/scripts/unikernel.mjs writes them.
import { manifestKind, unikernelArtifactType, unikernelConfigMediaType } from "@berth/contracts";
import type { Layout, Manifest } from "./layout";
import type { UnikernelArtifact } from "./types";

export const UNIKERNEL_ARTIFACT_TYPE = unikernelArtifactType;
export const UNIKERNEL_CONFIG_MEDIA_TYPE = unikernelConfigMediaType;
export const UNIKERNEL_KERNEL_MEDIA_TYPE = "application/vnd.berth.unikernel.kernel.v1+elf";
export const unikernelAnnotations = {
  format: "org.berth.unikernel.format",
  cmdline: "org.berth.unikernel.cmdline",
  ports: "org.berth.unikernel.ports",
  memory: "org.berth.unikernel.memory-mib",
} as const;
export const unikernelFormats = ["pvh-elf", "multiboot"] as const;

type ArtifactManifest = Manifest & { artifactType?: string; annotations?: Record<string, string> };

/** What a manifest is: a unikernel artifact (by its config or artifactType) or an image. */
export const kindOf = manifestKind;

export const notAnImage =
  "is a unikernel artifact, not a container image: deploy it at the unikernel isolation level";
export const notAUnikernel =
  "is an OCI container image, not a unikernel artifact: deploy it at the container or microvm level";

/** The artifact of a pulled manifest, checked against the format; throws what is wrong. */
export async function readArtifact(layout: Layout, digest: string): Promise<UnikernelArtifact> {
  const m = await layout.readJson<ArtifactManifest>(digest);
  if (kindOf(m) !== "unikernel") throw new Error(notAUnikernel);
  const kernels = m.layers.filter((l) => l.mediaType === UNIKERNEL_KERNEL_MEDIA_TYPE);
  if (m.layers.length !== 1 || kernels.length !== 1)
    throw new Error(`a unikernel artifact has exactly one layer of ${UNIKERNEL_KERNEL_MEDIA_TYPE}`);
  const annotations = m.annotations ?? {};
  const format = annotations[unikernelAnnotations.format] ?? "";
  if (!(unikernelFormats as readonly string[]).includes(format))
    throw new Error(
      `unsupported unikernel format ${JSON.stringify(format)} (${unikernelAnnotations.format}: ${unikernelFormats.join(" or ")})`,
    );
  const memory = Number(annotations[unikernelAnnotations.memory]);
  return {
    digest,
    kernel: layout.blobPath((kernels[0] as { digest: string }).digest),
    format: format as UnikernelArtifact["format"],
    cmdline: annotations[unikernelAnnotations.cmdline] ?? "",
    ...(Number.isFinite(memory) && memory > 0 ? { memoryMiB: memory } : {}),
    annotations,
  };
}
