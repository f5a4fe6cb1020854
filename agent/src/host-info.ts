import type { Driver } from "./driver";
import type { HostCapabilities, HostCapacityInput, ProbeResult } from "./probe";

/** What the agent tells the control plane about its host, at join and in every heartbeat. */
export type HostInfo = { capacity: HostCapacityInput; capabilities: HostCapabilities };

/**
 * Offered isolation levels are those of the drivers this agent has, nothing the probes merely
 * suggest: runc on the host does not make a container level without the container driver.
 */
export function describeHost(probe: ProbeResult, driver: Driver): HostInfo {
  return {
    capacity: probe.capacity,
    capabilities: {
      isolationLevels: [...driver.levels],
      accelerator: probe.accelerator,
      guestKernel: driver.guestKernel ?? null,
      ociRuntime: probe.ociRuntime,
      cgroup: probe.cgroup,
      sim: driver.sim,
    },
  };
}

/** Labels every sim host carries, so operators (and selectors) can tell them from real ones. */
export function hostLabels(labels: Record<string, string>, driver: Driver): Record<string, string> {
  return driver.sim ? { ...labels, sim: "true" } : labels;
}
