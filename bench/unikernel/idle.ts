// Phase 2: K idle hello-unikernels at once through the driver (started one after the other, each
// waited for until it answers), left idle for the settle time, checked to answer again, then each
// QEMU's memory read on the host the micro-VM bench's way (bench/microvm/memory.ts), with its
// cgroup's usage and the host-wide kernel growth from /proc/meminfo.
import { cgroupPathOf } from "../../agent/src/drivers/microvm/cgroup";
import { ukGuestMiB } from "../../agent/src/drivers/unikernel/qemu";
import { cgroupMemory, type MemInfo, memInfo } from "../container/host";
import { probeOnce, waitFor200 } from "../container/http";
import { meanMemory, type QemuMemory, qemuMemory } from "../microvm/memory";
import type { BenchArgs } from "./args";
import { helloSpec, type Kit, recordOf } from "./kit";

export type IdleResult = {
  requested: number;
  running: number;
  answered: number;
  answeredAfterSettle: number;
  failures: string[];
  settleS: number;
  guestMiB: number;
  qemu: ReturnType<typeof meanMemory>;
  perVm: QemuMemory[];
  cgroupKiB: { usage: number; kernel: number };
  kernelGrowthKiBPerVm: Record<"Slab" | "PageTables" | "KernelStack", number>;
  memAvailableFallKiBPerVm: number;
  /** The headline: mean QEMU PSS + its page tables + its threads' kernel stacks. */
  hostMemKiBPerInstance: number | null;
  vmmOverheadKiB: number | null;
  vmmOverheadNoTcgKiB: number | null;
  startWallS: number;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function idle(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  artifactMiB: number | undefined,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<IdleResult> {
  const before = await memInfo(10);
  const up: string[] = [];
  const endpoints: string[] = [];
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
    up.push(spec.instanceId);
    endpoints.push(endpoint);
    const deadline = performance.now() + args.bootTimeoutS * 1000;
    if (await waitFor200(endpoint, { deadline, pollMs: 10, connectTimeoutMs: 300 })) answered++;
    else failures.push(`running, but no HTTP 200 on ${endpoint} within ${args.bootTimeoutS} s`);
  }
  const startWallS = Math.round((performance.now() - t0) / 100) / 10;
  o.progress(`idle: ${up.length}/${args.idle} up (${answered} answered); settling ${args.settleS} s`);
  await sleep(args.settleS * 1000);
  let answeredAfterSettle = 0;
  for (const endpoint of endpoints)
    for (let i = 0; i < 3; i++)
      if (await probeOnce(endpoint, 3000)) {
        answeredAfterSettle++;
        break;
      }
  const allUp = await memInfo(10);
  const guestMiB = ukGuestMiB(args.memoryMiB, artifactMiB);
  const perVm: QemuMemory[] = [];
  let usage = 0;
  let kernel = 0;
  for (const id of up) {
    const r = await recordOf(kit, id);
    const m = r?.pid ? await qemuMemory(r.pid, guestMiB) : null;
    if (m) perVm.push(m);
    const cg = await cgroupMemory(cgroupPathOf(id));
    usage += cg?.usage ?? 0;
    kernel += cg?.kernel ?? 0;
  }
  const n = up.length || 1;
  const per = (x: number) => Math.round(x / n);
  const grew = (k: keyof MemInfo) => per(allUp[k] - before[k]);
  const qemu = meanMemory(perVm);
  const some = perVm.length > 0;
  return {
    requested: args.idle,
    running: up.length,
    answered,
    answeredAfterSettle,
    failures,
    settleS: args.settleS,
    guestMiB,
    qemu,
    perVm,
    cgroupKiB: { usage: per(usage / 1024), kernel: per(kernel / 1024) },
    kernelGrowthKiBPerVm: {
      Slab: grew("Slab"),
      PageTables: grew("PageTables"),
      KernelStack: grew("KernelStack"),
    },
    memAvailableFallKiBPerVm: per(before.MemAvailable - allUp.MemAvailable),
    hostMemKiBPerInstance: some ? qemu.pssKiB + qemu.pageTablesKiB + qemu.kernelStacksKiB : null,
    vmmOverheadKiB: some ? qemu.vmmPssKiB : null,
    vmmOverheadNoTcgKiB: some ? qemu.vmmPssNoTcgKiB : null,
    startWallS,
  };
}
