// The image pipeline's contract with the drivers (container today; microvm and unikernel reuse it).

/** The parts of an OCI image config a driver needs to run the workload. */
export type ImageConfig = {
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  /** "uid", "uid:gid" or a name, as the image says; "" means root. */
  user: string;
  exposedPorts: string[];
};

export type PulledImage = {
  /** The manifest digest, sha256:… */
  digest: string;
  config: ImageConfig;
  /** Read-only unpacked layer directories, lowest layer first. */
  layers: string[];
};

/** A unikernel artifact (docs/unikernel.md), pulled but not unpacked: the kernel is booted as is. */
export type UnikernelArtifact = {
  /** The manifest digest, sha256:… */
  digest: string;
  /** The kernel blob in the store (read-only for its users). */
  kernel: string;
  format: "pvh-elf" | "multiboot";
  /** The artifact's default kernel command line (the driver appends the network). */
  cmdline: string;
  /** The RAM the artifact says it needs, when it says. */
  memoryMiB?: number;
  /** The manifest's annotations. */
  annotations: Record<string, string>;
};

export type RegistryCredentials = { username: string; password: string };

export type InstanceRootfs = {
  /** The overlay's merged directory: the instance's root filesystem. */
  rootfs: string;
  image: PulledImage;
};

export interface ImageStore {
  /** Pulls the image (each blob once, shared between images) and unpacks each layer once. Idempotent. */
  ensure(ref: string, opts?: { credentials?: RegistryCredentials }): Promise<PulledImage>;
  /**
   * Pulls a unikernel artifact (no unpacking); an OCI container image is refused. Idempotent.
   * Optional: the container level's test stores have no artifacts.
   */
  ensureArtifact?(ref: string, opts?: { credentials?: RegistryCredentials }): Promise<UnikernelArtifact>;
  /** Mounts an overlay for the instance: the image's layers as lower, its own upper. Idempotent. */
  mountInstance(
    instanceId: string,
    ref: string,
    opts?: { credentials?: RegistryCredentials },
  ): Promise<InstanceRootfs>;
  /** Unmounts; with `remove`, deletes the instance's write layer too. Unknown ids are fine. */
  unmountInstance(instanceId: string, opts: { remove: boolean }): Promise<void>;
}
