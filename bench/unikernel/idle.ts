// Phase 2: K idle hello-unikernels at once through the driver (started one after the other, each
// waited for until it answers), left idle for the settle time, checked to answer again, then each
// QEMU's memory read on the host the micro-VM bench's way (bench/microvm/memory.ts), with its
// cgroup's usage and the host-wide kernel growth from /proc/meminfo.
import { ukGuestMiB } from "../../agent/src/drivers/unikernel/qemu";
import { type IdleResultOf, idleInstances } from "../lib/vm";
import type { BenchArgs } from "./args";
import { helloSpec, type Kit, recordOf } from "./kit";

export type IdleResult = IdleResultOf<
  { guestMiB: number },
  {
    kernelGrowthKiBPerVm: Record<"Slab" | "PageTables" | "KernelStack", number>;
    memAvailableFallKiBPerVm: number;
  }
>;

export async function idle(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  artifactMiB: number | undefined,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<IdleResult> {
  const guestMiB = ukGuestMiB(args.memoryMiB, artifactMiB);
  const r = await idleInstances(kit, args, {
    ...o,
    spec: () => helloSpec(tenantId, args),
    pollMs: 10,
    connectTimeoutMs: 300,
    settling: (up, answered) =>
      `idle: ${up}/${args.idle} up (${answered} answered); settling ${args.settleS} s`,
    guestMiB,
    recordOf: (id) => recordOf(kit, id),
  });
  return {
    ...r.head,
    guestMiB,
    ...r.memory,
    kernelGrowthKiBPerVm: {
      Slab: r.grew("Slab"),
      PageTables: r.grew("PageTables"),
      KernelStack: r.grew("KernelStack"),
    },
    memAvailableFallKiBPerVm: r.memAvailableFallKiBPerVm,
    ...r.tail,
  };
}
