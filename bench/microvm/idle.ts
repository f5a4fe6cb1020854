// Phase 2: K idle hello micro-VMs at once through the driver (started one after the other, each
// waited for until it answers), left idle for the settle time, checked to answer again, then
// each QEMU's memory read on the host (memory.ts), with its cgroup's usage and the host-wide
// kernel growth (the taps, cgroups, jails' mount namespaces) from /proc/meminfo.
import { guestMemoryMiB } from "../../agent/src/drivers/microvm/qemu";
import type { MemInfo } from "../container/host";
import { type IdleResultOf, idleInstances } from "../lib/vm";
import type { BenchArgs } from "./args";
import { helloSpec, type Kit, recordOf } from "./kit";

export type IdleResult = IdleResultOf<
  object,
  {
    /** Host-wide growth per VM between before the first start and all idle (other work adds noise). */
    kernelGrowthKiBPerVm: Record<"Slab" | "Percpu" | "PageTables" | "KernelStack" | "Shmem", number>;
    memAvailableFallKiBPerVm: number;
    memKiB: { before: MemInfo; allUp: MemInfo };
  }
>;

export async function idle(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<IdleResult> {
  const r = await idleInstances(kit, args, {
    ...o,
    spec: () => helloSpec(tenantId, args),
    pollMs: 20,
    connectTimeoutMs: 500,
    eachUp: (up, answered) => `idle: ${up}/${args.idle} up (${answered} answered)`,
    settling: (up) => `idle: ${up} up; settling ${args.settleS} s`,
    guestMiB: guestMemoryMiB(args.memoryMiB),
    recordOf: (id) => recordOf(kit, id),
  });
  return {
    ...r.head,
    ...r.memory,
    kernelGrowthKiBPerVm: {
      Slab: r.grew("Slab"),
      Percpu: r.grew("Percpu"),
      PageTables: r.grew("PageTables"),
      KernelStack: r.grew("KernelStack"),
      Shmem: r.grew("Shmem"),
    },
    memAvailableFallKiBPerVm: r.memAvailableFallKiBPerVm,
    memKiB: r.memKiB,
    ...r.tail,
  };
}
