import { availableParallelism, totalmem } from "node:os";
import type { HostCapacityInput } from "./types";

/**
 * What the host offers to workloads. Memory keeps a reserve for the host itself (kernel, agent,
 * VMM overheads beyond the per-level estimate): 10 % of RAM, at least 1 GiB, at most half.
 */
export function probeCapacity(
  opts: { maxInstances: number; memoryReserveMiB?: number | undefined },
  machine: { cpus: number; totalBytes: number } = { cpus: availableParallelism(), totalBytes: totalmem() },
): HostCapacityInput {
  const totalMiB = Math.floor(machine.totalBytes / 1024 / 1024);
  const reserve =
    opts.memoryReserveMiB ?? Math.min(Math.floor(totalMiB / 2), Math.max(1024, Math.floor(totalMiB / 10)));
  return {
    cpuMillis: Math.max(1, machine.cpus * 1000),
    memoryMiB: Math.max(1, totalMiB - reserve),
    maxInstances: opts.maxInstances,
  };
}
