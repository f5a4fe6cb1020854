// The unikernel artifact format's identifiers (docs/unikernel.md), shared by the control plane
// (which refuses the wrong kind of image for a level) and the agent (which boots the artifact).

/** The config media type that makes an OCI manifest a unikernel artifact. */
export const unikernelConfigMediaType = "application/vnd.berth.unikernel.config.v1+json";
/** The OCI 1.1 artifactType of the same, for tools that look there. */
export const unikernelArtifactType = "application/vnd.berth.unikernel.v1";

/** What a manifest is: a unikernel artifact (by its config media type or artifactType) or an image. */
export function manifestKind(m: {
  artifactType?: unknown;
  config?: { mediaType?: unknown } | null;
}): "unikernel" | "image" {
  return m.config?.mediaType === unikernelConfigMediaType || m.artifactType === unikernelArtifactType
    ? "unikernel"
    : "image";
}
