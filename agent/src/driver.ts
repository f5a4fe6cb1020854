// The interface every isolation driver implements (container, microvm, unikernel, and sim for
// scale tests). The agent daemon that uses it arrives with placement; see docs/roadmap.md.
import type { IsolationLevel } from "@berth/contracts";

export type InstanceSpec = {
  instanceId: string;
  generation: number;
  tenantId: string;
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  ports: { port: number; protocol: "tcp" | "udp" }[];
  cpuMillis: number;
  memoryMiB: number;
};

export type InstanceStatus = {
  instanceId: string;
  state: "starting" | "running" | "stopping" | "stopped" | "failed" | "exited";
  exitCode?: number;
  reason?: string;
  endpoints: string[];
};

export interface Driver {
  readonly level: IsolationLevel | "sim";
  /** Fetch and unpack what the instance needs (image layers, rootfs, kernel); idempotent. */
  prepare(spec: InstanceSpec): Promise<void>;
  start(spec: InstanceSpec): Promise<InstanceStatus>;
  /** Graceful stop: the workload gets `graceMs` before it is killed. */
  stop(instanceId: string, graceMs: number): Promise<InstanceStatus>;
  inspect(instanceId: string): Promise<InstanceStatus | null>;
  list(): Promise<InstanceStatus[]>;
  logs(instanceId: string, opts: { follow: boolean; since?: Date }): AsyncIterable<string>;
}
