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
};

export interface Driver {
  /** The isolation levels this driver launches; the agent offers exactly these. */
  readonly levels: readonly IsolationLevel[];
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
}
