// The interface every isolation driver implements (container, microvm, unikernel, and sim for
// scale tests). The agent's job handlers are its only caller.
import type { InstanceSpecDto, IsolationLevel } from "@berth/contracts";

/** What the control plane sends for one instance (GET /api/v1/agent/instances/{id}). */
export type InstanceSpec = Omit<InstanceSpecDto, "volumes"> & { volumes?: InstanceSpecDto["volumes"] };

export type InstanceStatus = {
  instanceId: string;
  /** The generation the driver launched: a newer start of the same instance replaces it. */
  generation: number;
  state: "starting" | "running" | "stopping" | "stopped" | "failed" | "exited";
  exitCode?: number;
  reason?: string;
  endpoints: string[];
  /** The virtual machine levels: the accelerator the guest runs with. */
  accelerator?: "kvm" | "tcg";
};

/** cgroup usage of one running instance, as read (the agent turns it into the heartbeat's metrics). */
export type InstanceUsage = {
  /** cpu time used since the start, in nanoseconds. */
  cpuNs: number;
  memoryBytes: number;
  /** Infinity (or the kernel's huge "unlimited" value) when there is no limit. */
  memoryLimitBytes: number;
  pids: number;
  /** Infinity when there is no limit. */
  pidsLimit: number;
};

/** What the disk sweep must keep for the instances a driver still holds (Driver.imagesInUse). */
export type ImagesInUse = {
  /** Image (or unikernel artifact) manifest digests, sha256:… */
  digests: string[];
  /** Instances whose record does not say which image they use (written before records did). */
  unknown: string[];
};

export interface Driver {
  /** The isolation levels this driver launches; the agent offers exactly these. */
  readonly levels: readonly IsolationLevel[];
  /** The guest kernel version a virtual machine level boots, shown to operators. */
  readonly guestKernel?: string;
  /** True for the sim driver: it launches nothing and exists for scale tests only. */
  readonly sim: boolean;
  /** Fetch and unpack what the instance needs (image layers, rootfs, kernel); idempotent. */
  prepare(spec: InstanceSpec): Promise<void>;
  start(spec: InstanceSpec): Promise<InstanceStatus>;
  /** Graceful stop: the workload gets `graceMs` before it is killed. Unknown ids are stopped. */
  stop(instanceId: string, graceMs: number): Promise<InstanceStatus>;
  inspect(instanceId: string): Promise<InstanceStatus | null>;
  list(): Promise<InstanceStatus[]>;
  logs(instanceId: string, opts: { follow: boolean; since?: Date }): AsyncIterable<string>;
  /**
   * Usage of a running instance for heartbeats; null when it is not running or unknown. Drivers
   * that measure nothing (sim) leave it out, and their heartbeats carry no metrics.
   */
  metrics?(instanceId: string): Promise<InstanceUsage | null>;
  /**
   * The images the instances this driver still holds use: a container not stopped (its overlay
   * is mounted over the image's layers), a VM whose run has not ended (its root disk or kernel is
   * bound into the jail). A stopped instance holds nothing: its next start ensures its image again.
   * Drivers that store nothing (sim) leave it out.
   */
  imagesInUse?(): Promise<ImagesInUse>;
}
