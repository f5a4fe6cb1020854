// Phase 2: M idle hello instances at once, spread over T tenants, started C at a time. Host memory
// before, with all of them up, and after they are stopped; the sum of their cgroups' memory and the
// shims' RSS/PSS. Stops starting (and says why) when memory, disk or pids run short.

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { defaultShim } from "../../agent/src/drivers/container/driver";
import { cgroupsPathOf } from "../../agent/src/drivers/container/host";
import { quantile, round } from "../placement/stats";
import type { BenchArgs } from "./args";
import {
  cgroupMemory,
  cgroupPids,
  diskFreeGiB,
  type MemInfo,
  memInfo,
  type ProcessMemory,
  pidsInUse,
  pidsMatching,
  processMemory,
} from "./host";
import { probeOnce, waitFor200 } from "./http";
import { helloSpec, type Kit, pool } from "./kit";

export type DensityResult = {
  requested: number;
  running: number;
  answered: number;
  answeredAtEnd: number;
  stoppedEarly: string | null;
  failures: Record<string, number>;
  startUnderLoad: { p50Ms: number; p95Ms: number; maxMs: number } | null;
  memKiB: { before: MemInfo; allUp: MemInfo; afterStop: MemInfo };
  cgroupMemoryKiB: { total: number; kernel: number; perInstance: number | null };
  shims: ProcessMemory;
  workloads: ProcessMemory;
  overheadKiBPerInstance: number | null;
  overheadKiB: ReturnType<typeof overhead>["overheadKiB"];
  pids: { before: number; allUp: number; max: number };
  diskFreeGiB: { before: number; allUp: number };
  startWallS: number;
  stopWallS: number;
};

/** x86-64 and arm64 give every thread a 16 KiB kernel stack. */
const kernelStackKiB = 16;

/**
 * Per-instance host memory, from parts that belong to the instances (the headline figure): the
 * containers' user memory (their cgroups' usage minus the kernel memory charged to them), the
 * shims' PSS, the page tables and kernel stacks of the shims and of the containers' processes
 * (counted per process: VmPTE, 16 KiB per thread), and the growth of the kernel's slab and
 * per-cpu memory (namespaces, veths, mounts, cgroups; host-wide, so other work adds some noise).
 * The host-wide growth of page tables and stacks and MemAvailable's fall and rise are kept as
 * cross-checks: on a machine shared with other work they move by more than the instances take.
 */
function overhead(
  n: number,
  mem: { before: MemInfo; allUp: MemInfo; afterStop: MemInfo },
  cg: { userKiB: number; kernelKiB: number },
  procs: { shims: ProcessMemory; workloads: ProcessMemory },
) {
  const { before, allUp, afterStop } = mem;
  const per = (x: number) => (n ? Math.round(x / n) : null);
  const grew = (k: keyof MemInfo) => allUp[k] - before[k];
  const { shims, workloads } = procs;
  const parts = {
    containersUser: per(cg.userKiB),
    shimsPss: per(shims.pssKiB),
    pageTables: per(shims.pteKiB + workloads.pteKiB),
    kernelStacks: per((shims.threads + workloads.threads) * kernelStackKiB),
    slab: per(grew("Slab")),
    percpu: per(grew("Percpu")),
  };
  const sum = n ? Object.values(parts).reduce((a: number, b) => a + (b ?? 0), 0) : null;
  return {
    overheadKiBPerInstance: sum,
    overheadKiB: {
      perInstance: sum,
      parts,
      containersKernelCharged: per(cg.kernelKiB),
      hostPageTablesGrowth: per(grew("PageTables")),
      hostKernelStackGrowth: per(grew("KernelStack")),
      vmallocGrowth: per(grew("VmallocUsed")),
      memAvailableFallAtStart: per(before.MemAvailable - allUp.MemAvailable),
      memAvailableRiseAtStop: per(afterStop.MemAvailable - allUp.MemAvailable),
    },
  };
}

export async function density(
  kit: Kit,
  args: BenchArgs,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<DensityResult> {
  const tenants = Array.from({ length: args.tenants }, () => randomUUID());
  for (const t of tenants) kit.tenants.add(t);
  const specs = Array.from({ length: args.density }, (_, i) =>
    helloSpec(tenants[i % tenants.length] as string, args.densityCpuMillis, args.densityMemoryMiB),
  );
  const pidMax = Number((await readFile("/proc/sys/kernel/pid_max", "utf8")).trim());
  const pidsBefore = await pidsInUse();
  const diskBefore = await diskFreeGiB(kit.dataDir);
  const before = await memInfo(10);
  const up: { id: string; endpoint: string }[] = [];
  const failures: Record<string, number> = {};
  const startMs: number[] = [];
  let answered = 0;
  let done = 0;
  let stoppedEarly: string | null = null;
  const t0 = performance.now();
  await pool(
    specs,
    args.concurrency,
    async (spec) => {
      if (up.length % 25 === 0) {
        const m = await memInfo(1);
        const pids = await pidsInUse();
        const disk = await diskFreeGiB(kit.dataDir);
        if (m.MemAvailable < 1024 * 1024) stoppedEarly = `MemAvailable below 1 GiB (${m.MemAvailable} KiB)`;
        if (pids > pidMax - 2000) stoppedEarly = `${pids} pids in use of pid_max ${pidMax}`;
        if (disk < 2) stoppedEarly = `${disk} GiB of disk left`;
        if (stoppedEarly) return;
      }
      kit.started.add(spec.instanceId);
      const ts = performance.now();
      try {
        const s = await kit.driver.start(spec);
        startMs.push(performance.now() - ts);
        const endpoint = s.endpoints[0];
        if (s.state !== "running" || !endpoint) {
          const why = `${s.state}: ${s.reason ?? "?"}`.slice(0, 200);
          failures[why] = (failures[why] ?? 0) + 1;
          return;
        }
        up.push({ id: spec.instanceId, endpoint });
        const ok = await waitFor200(endpoint, {
          deadline: performance.now() + 10_000,
          pollMs: 10,
          connectTimeoutMs: 500,
        });
        if (ok) answered++;
        else
          failures["running, but no HTTP 200 within 10 s"] =
            (failures["running, but no HTTP 200 within 10 s"] ?? 0) + 1;
      } catch (err) {
        const why = `start threw: ${(err as Error).message}`.slice(0, 200);
        failures[why] = (failures[why] ?? 0) + 1;
      }
      if (++done % 50 === 0)
        o.progress(`density: ${done} started, ${up.length} running, ${answered} answered HTTP 200`);
    },
    () => o.stop() || stoppedEarly !== null || Object.values(failures).reduce((a, b) => a + b, 0) > 20,
  );
  const startWallS = round((performance.now() - t0) / 1000);
  if (!stoppedEarly && Object.values(failures).reduce((a, b) => a + b, 0) > 20)
    stoppedEarly = "more than 20 starts failed";
  o.progress(`density: ${up.length} running (${answered} answered) after ${startWallS} s; settling 5 s`);
  await new Promise((r) => setTimeout(r, 5000));
  // All of them at once again: each must still answer while the others run.
  let answeredAtEnd = 0;
  await pool(up, 16, async (x) => {
    for (let i = 0; i < 3; i++) if (await probeOnce(x.endpoint, 2000)) return void answeredAtEnd++;
  });
  const allUp = await memInfo(10);
  let cgroupBytes = 0;
  let cgroupKernelBytes = 0;
  for (const x of up) {
    const m = await cgroupMemory(cgroupsPathOf(x.id));
    cgroupBytes += m?.usage ?? 0;
    cgroupKernelBytes += m?.kernel ?? 0;
  }
  // The shims of these instances (berth-shim RUNC ROOT BUNDLE ID ...), not the warm-up's.
  const ids = new Set(up.map((x) => x.id));
  const shims = await processMemory(await pidsMatching(defaultShim, (a) => ids.has(a[4] ?? "")));
  const inside: number[] = [];
  for (const x of up) inside.push(...(await cgroupPids(cgroupsPathOf(x.id))));
  const workloads = await processMemory(inside);
  const pidsAllUp = await pidsInUse();
  const diskAllUp = await diskFreeGiB(kit.dataDir);
  o.progress(`density: ${answeredAtEnd} of ${up.length} answered HTTP 200 all up; stopping them`);
  const t1 = performance.now();
  await pool(up, args.concurrency, async (x) => {
    await kit.driver.stop(x.id, 2000).catch(() => {});
  });
  const stopWallS = round((performance.now() - t1) / 1000);
  const afterStop = await memInfo(10);
  const n = up.length;
  const sorted = [...startMs].sort((a, b) => a - b);
  return {
    requested: args.density,
    running: n,
    answered,
    answeredAtEnd,
    stoppedEarly,
    failures,
    startUnderLoad: sorted.length
      ? {
          p50Ms: round(quantile(sorted, 0.5)),
          p95Ms: round(quantile(sorted, 0.95)),
          maxMs: round(sorted.at(-1) ?? 0),
        }
      : null,
    memKiB: { before, allUp, afterStop },
    cgroupMemoryKiB: {
      total: Math.round(cgroupBytes / 1024),
      kernel: Math.round(cgroupKernelBytes / 1024),
      perInstance: n ? Math.round(cgroupBytes / 1024 / n) : null,
    },
    shims,
    workloads,
    ...overhead(
      n,
      { before, allUp, afterStop },
      { userKiB: (cgroupBytes - cgroupKernelBytes) / 1024, kernelKiB: cgroupKernelBytes / 1024 },
      { shims, workloads },
    ),
    pids: { before: pidsBefore, allUp: pidsAllUp, max: pidMax },
    diskFreeGiB: { before: diskBefore, allUp: diskAllUp },
    startWallS,
    stopWallS,
  };
}
