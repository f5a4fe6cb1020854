// Phase 2: K idle hello micro-VMs at once through the driver (started one after the other, each
// waited for until it answers), left idle for the settle time, checked to answer again, then
// each QEMU's memory read on the host (memory.ts), with its cgroup's usage and the host-wide
// kernel growth (the taps, cgroups, jails' mount namespaces) from /proc/meminfo.
import { cgroupPathOf } from "../../agent/src/drivers/microvm/cgroup";
import { guestMemoryMiB } from "../../agent/src/drivers/microvm/qemu";
import { cgroupMemory, type MemInfo, memInfo } from "../container/host";
import { probeOnce, waitFor200 } from "../container/http";
import type { BenchArgs } from "./args";
import { helloSpec, type Kit, recordOf } from "./kit";
import { meanMemory, type QemuMemory, qemuMemory } from "./memory";

export type IdleResult = {
  requested: number;
  running: number;
  answered: number;
  answeredAfterSettle: number;
  failures: string[];
  settleS: number;
  qemu: ReturnType<typeof meanMemory>;
  perVm: QemuMemory[];
  /** Mean of the VMs' cgroups: memory.usage_in_bytes (v1) or memory.current, and its kernel part. */
  cgroupKiB: { usage: number; kernel: number };
  /** Host-wide growth per VM between before the first start and all idle (other work adds noise). */
  kernelGrowthKiBPerVm: Record<"Slab" | "Percpu" | "PageTables" | "KernelStack" | "Shmem", number>;
  memAvailableFallKiBPerVm: number;
  memKiB: { before: MemInfo; allUp: MemInfo };
  /** The headline: mean QEMU PSS + its page tables + its threads' kernel stacks. */
  hostMemKiBPerInstance: number | null;
  /** Mean PSS beyond the guest's RAM; and without TCG's translation cache. */
  vmmOverheadKiB: number | null;
  vmmOverheadNoTcgKiB: number | null;
  startWallS: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function idle(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<IdleResult> {
  const before = await memInfo(10);
  const up: { id: string; endpoint: string }[] = [];
  const failures: string[] = [];
  let answered = 0;
  const t0 = performance.now();
  for (let i = 0; i < args.idle && !o.stop() && failures.length < 3; i++) {
    const spec = helloSpec(tenantId, args);
    kit.started.add(spec.instanceId);
    const s = await kit.driver.start(spec);
    const endpoint = s.endpoints[0];
    if (s.state !== "running" || !endpoint) {
      failures.push(`${s.state}: ${s.reason ?? "?"}`.slice(0, 300));
      continue;
    }
    up.push({ id: spec.instanceId, endpoint });
    const ok = await waitFor200(endpoint, {
      deadline: performance.now() + args.bootTimeoutS * 1000,
      pollMs: 20,
      connectTimeoutMs: 500,
    });
    if (ok) answered++;
    else failures.push(`running, but no HTTP 200 on ${endpoint} within ${args.bootTimeoutS} s`);
    o.progress(`idle: ${up.length}/${args.idle} up (${answered} answered)`);
  }
  const startWallS = Math.round((performance.now() - t0) / 100) / 10;
  o.progress(`idle: ${up.length} up; settling ${args.settleS} s`);
  await sleep(args.settleS * 1000);
  let answeredAfterSettle = 0;
  for (const x of up)
    for (let i = 0; i < 3; i++)
      if (await probeOnce(x.endpoint, 3000)) {
        answeredAfterSettle++;
        break;
      }
  const allUp = await memInfo(10);
  const perVm: QemuMemory[] = [];
  let usage = 0;
  let kernel = 0;
  for (const x of up) {
    const r = await recordOf(kit, x.id);
    const m = r?.pid ? await qemuMemory(r.pid, guestMemoryMiB(args.memoryMiB)) : null;
    if (m) perVm.push(m);
    const cg = await cgroupMemory(cgroupPathOf(x.id));
    usage += cg?.usage ?? 0;
    kernel += cg?.kernel ?? 0;
  }
  const n = up.length || 1;
  const per = (x: number) => Math.round(x / n);
  const grew = (k: keyof MemInfo) => per(allUp[k] - before[k]);
  const qemu = meanMemory(perVm);
  return {
    requested: args.idle,
    running: up.length,
    answered,
    answeredAfterSettle,
    failures,
    settleS: args.settleS,
    qemu,
    perVm,
    cgroupKiB: { usage: per(usage / 1024), kernel: per(kernel / 1024) },
    kernelGrowthKiBPerVm: {
      Slab: grew("Slab"),
      Percpu: grew("Percpu"),
      PageTables: grew("PageTables"),
      KernelStack: grew("KernelStack"),
      Shmem: grew("Shmem"),
    },
    memAvailableFallKiBPerVm: per(before.MemAvailable - allUp.MemAvailable),
    memKiB: { before, allUp },
    hostMemKiBPerInstance: perVm.length ? qemu.pssKiB + qemu.pageTablesKiB + qemu.kernelStacksKiB : null,
    vmmOverheadKiB: perVm.length ? qemu.vmmPssKiB : null,
    vmmOverheadNoTcgKiB: perVm.length ? qemu.vmmPssNoTcgKiB : null,
    startWallS,
  };
}
