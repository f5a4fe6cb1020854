import type { hostCapabilities, hostCapacity } from "@berth/contracts";
import type { z } from "zod";

export type HostCapacityInput = z.infer<typeof hostCapacity>;
export type HostCapabilities = z.infer<typeof hostCapabilities>;

/** What the probes found; the driver decides which isolation levels are actually offered. */
export type ProbeResult = {
  ociRuntime: string | null;
  cgroup: "v1" | "v2" | null;
  qemu: string | null;
  accelerator: "kvm" | "tcg" | null;
  capacity: HostCapacityInput;
};
