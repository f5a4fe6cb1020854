// cgroup usage of one container, from the v1 controllers (hybrid hosts) or the unified v2 tree.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { InstanceUsage } from "../../driver";

const run = promisify(execFile);

/** What a container's cgroup says: the Driver interface's usage sample. */
export type ContainerMetrics = InstanceUsage;

const limit = (text: string) => (text === "max" ? Number.POSITIVE_INFINITY : Number(text));

const read = (path: string) => readFile(path, "utf8").then((t) => t.trim());

/** null when the container has no cgroup (not running, or deleted). */
export async function readMetrics(cgroupsPath: string): Promise<ContainerMetrics | null> {
  try {
    if (existsSync("/sys/fs/cgroup/memory")) {
      const v1 = (controller: string, file: string) =>
        read(`/sys/fs/cgroup/${controller}${cgroupsPath}/${file}`);
      const [cpu, mem, memMax, pids, pidsMax] = await Promise.all([
        v1("cpuacct", "cpuacct.usage"),
        v1("memory", "memory.usage_in_bytes"),
        v1("memory", "memory.limit_in_bytes"),
        v1("pids", "pids.current"),
        v1("pids", "pids.max"),
      ]);
      return {
        cpuNs: Number(cpu),
        memoryBytes: Number(mem),
        memoryLimitBytes: Number(memMax),
        pids: Number(pids),
        pidsLimit: limit(pidsMax),
      };
    }
    const v2 = (file: string) => read(`/sys/fs/cgroup${cgroupsPath}/${file}`);
    const [stat, mem, memMax, pids, pidsMax] = await Promise.all([
      v2("cpu.stat"),
      v2("memory.current"),
      v2("memory.max"),
      v2("pids.current"),
      v2("pids.max"),
    ]);
    return {
      cpuNs: Number(stat.match(/^usage_usec (\d+)/m)?.[1] ?? 0) * 1000,
      memoryBytes: Number(mem),
      memoryLimitBytes: limit(memMax),
      pids: Number(pids),
      pidsLimit: limit(pidsMax),
    };
  } catch {
    return null;
  }
}

/**
 * Whether the kernel's OOM killer struck in the cgroup: its oom_kill counter (v1
 * memory.oom_control, v2 memory.events), which lasts until `runc delete` removes the cgroup; after
 * that, the kernel log's line naming the cgroup.
 */
export async function oomKilled(cgroupsPath: string): Promise<boolean> {
  const counters =
    (await read(`/sys/fs/cgroup/memory${cgroupsPath}/memory.oom_control`).catch(() => null)) ??
    (await read(`/sys/fs/cgroup${cgroupsPath}/memory.events`).catch(() => null));
  if (counters !== null) return Number(counters.match(/^oom_kill (\d+)/m)?.[1] ?? 0) > 0;
  const kernelLog = await run("dmesg", [], { maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => r.stdout,
    () => "",
  );
  return kernelLog.split("\n").some((l) => l.includes("oom-kill:") && l.includes(`_memcg=${cgroupsPath},`));
}
