// Each VM's own cgroups, which the jailer joins before it execs QEMU: cgroup v1 (one directory per
// controller, the hybrid hosts) or the unified v2 tree. The limits bound the whole VMM: guest RAM
// plus QEMU's own memory, the CPU time of every vCPU and QEMU thread, and its threads.
import { existsSync } from "node:fs";
import { mkdir, readFile, realpath, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { InstanceUsage } from "../../driver";
import { readMetrics } from "../container/metrics";

const root = "/sys/fs/cgroup";
const parent = "berth-vm";
/** The cgroup path of an instance, as the container level's metrics reader takes it. */
export const cgroupPathOf = (instanceId: string) => `/${parent}/${instanceId}`;
const cpuPeriodUs = 100_000;
/**
 * QEMU's threads: the main loop, one per vCPU, RCU, and its I/O thread pool (up to 64). It can
 * fork nothing (-sandbox spawn=deny); this only stops a runaway thread pool.
 */
export const pidsMax = 256;

const isV2 = () => existsSync(join(root, "cgroup.controllers"));
const v1Controllers = ["memory", "cpu", "cpuacct", "pids"];

export type Limits = { memoryBytes: number; cpuMillis: number };

/** The instance's cgroup directories (one per v1 hierarchy: cpu and cpuacct may be one). */
async function dirsOf(instanceId: string): Promise<string[]> {
  if (isV2()) return [join(root, parent, instanceId)];
  const dirs = new Set<string>();
  for (const c of v1Controllers) {
    const base = join(root, c);
    if (!existsSync(base)) throw new Error(`cgroup v1 controller ${c} is not mounted at ${base}`);
    dirs.add(join(await realpath(base), parent, instanceId));
  }
  return [...dirs];
}

const write = (dir: string, file: string, value: string) => writeFile(join(dir, file), value);

/** Creates (or resets) the cgroups with their limits; returns the directories for the jailer. */
export async function createCgroups(instanceId: string, l: Limits): Promise<string[]> {
  const dirs = await dirsOf(instanceId);
  const quota = String(Math.max(1000, Math.round((l.cpuMillis * cpuPeriodUs) / 1000)));
  if (isV2()) {
    const dir = dirs[0] as string;
    // Controllers must be enabled in every parent for the leaf to have their files.
    for (const d of [root, join(root, parent)]) {
      await mkdir(d, { recursive: true });
      await write(d, "cgroup.subtree_control", "+memory +cpu +pids");
    }
    await mkdir(dir, { recursive: true });
    await write(dir, "memory.max", String(l.memoryBytes));
    if (existsSync(join(dir, "memory.swap.max"))) await write(dir, "memory.swap.max", "0");
    await write(dir, "cpu.max", `${quota} ${cpuPeriodUs}`);
    await write(dir, "pids.max", String(pidsMax));
    return dirs;
  }
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    if (existsSync(join(dir, "memory.limit_in_bytes"))) {
      await write(dir, "memory.limit_in_bytes", String(l.memoryBytes));
      // Without swap accounting there is no memsw file; with it, no swapping past the limit.
      if (existsSync(join(dir, "memory.memsw.limit_in_bytes")))
        await write(dir, "memory.memsw.limit_in_bytes", String(l.memoryBytes));
    }
    if (existsSync(join(dir, "cpu.cfs_quota_us"))) {
      await write(dir, "cpu.cfs_period_us", String(cpuPeriodUs));
      await write(dir, "cpu.cfs_quota_us", quota);
    }
    if (existsSync(join(dir, "pids.max"))) await write(dir, "pids.max", String(pidsMax));
  }
  return dirs;
}

/**
 * Removes the cgroups once QEMU is gone. rmdir fails with EBUSY while an exiting task is still
 * listed, so it is retried for a moment; a cgroup that stays busy is an error for the caller.
 */
export async function removeCgroups(instanceId: string): Promise<void> {
  for (const dir of await dirsOf(instanceId)) {
    for (let i = 0; ; i++) {
      try {
        await rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code !== "EBUSY" || i >= 100) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

/** The pids in the instance's memory cgroup (v1) or its v2 cgroup: QEMU's, once it joined. */
export async function cgroupProcs(instanceId: string): Promise<number[]> {
  const dir = isV2() ? join(root, parent, instanceId) : join(root, "memory", parent, instanceId);
  const text = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map(Number);
}

/** cpuacct.usage, memory usage and limit, pids (QEMU's threads) of the VM's cgroup; null without one. */
export function readUsage(instanceId: string): Promise<InstanceUsage | null> {
  return readMetrics(cgroupPathOf(instanceId));
}
