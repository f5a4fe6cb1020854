// Host memory figures for the density phase: /proc/meminfo, the containers' cgroups, the shims.
import { readdir, readFile } from "node:fs/promises";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type MemInfo = Record<
  "MemAvailable" | "MemFree" | "Slab" | "KernelStack" | "PageTables" | "Percpu" | "VmallocUsed" | "Shmem",
  number
>;

/** KiB values of /proc/meminfo (the mean of `samples` reads 200 ms apart, to smooth other load). */
export async function memInfo(samples = 5): Promise<MemInfo> {
  const keys = [
    "MemAvailable",
    "MemFree",
    "Slab",
    "KernelStack",
    "PageTables",
    "Percpu",
    "VmallocUsed",
    "Shmem",
  ] as const;
  const sum = Object.fromEntries(keys.map((k) => [k, 0])) as MemInfo;
  for (let i = 0; i < samples; i++) {
    const text = await readFile("/proc/meminfo", "utf8");
    for (const k of keys) sum[k] += Number(text.match(new RegExp(`^${k}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
    if (i < samples - 1) await sleep(200);
  }
  for (const k of keys) sum[k] = Math.round(sum[k] / samples);
  return sum;
}

async function num(path: string): Promise<number | null> {
  try {
    const n = Number((await readFile(path, "utf8")).trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * A container's cgroup memory in bytes, split into user memory and the kernel memory charged to it
 * (v1: usage_in_bytes and kmem.usage_in_bytes; v2: memory.current and memory.stat's `kernel`).
 */
export async function cgroupMemory(cgroupsPath: string): Promise<{ usage: number; kernel: number } | null> {
  const v1 = await num(`/sys/fs/cgroup/memory${cgroupsPath}/memory.usage_in_bytes`);
  if (v1 !== null)
    return {
      usage: v1,
      kernel: (await num(`/sys/fs/cgroup/memory${cgroupsPath}/memory.kmem.usage_in_bytes`)) ?? 0,
    };
  const v2 = await num(`/sys/fs/cgroup${cgroupsPath}/memory.current`);
  if (v2 === null) return null;
  const stat = await readFile(`/sys/fs/cgroup${cgroupsPath}/memory.stat`, "utf8").catch(() => "");
  return { usage: v2, kernel: Number(stat.match(/^kernel (\d+)/m)?.[1] ?? 0) };
}

export type ProcessMemory = {
  count: number;
  rssKiB: number;
  pssKiB: number;
  pteKiB: number;
  threads: number;
};

/** RSS, PSS, page tables (VmPTE) and threads of the given processes; gone ones are skipped. */
export async function processMemory(pids: number[]): Promise<ProcessMemory> {
  const m: ProcessMemory = { count: 0, rssKiB: 0, pssKiB: 0, pteKiB: 0, threads: 0 };
  for (const pid of pids) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    if (!status) continue;
    m.count++;
    m.rssKiB += Number(rollup.match(/^Rss:\s+(\d+)/m)?.[1] ?? 0);
    m.pssKiB += Number(rollup.match(/^Pss:\s+(\d+)/m)?.[1] ?? 0);
    m.pteKiB += Number(status.match(/^VmPTE:\s+(\d+)/m)?.[1] ?? 0);
    m.threads += Number(status.match(/^Threads:\s+(\d+)/m)?.[1] ?? 0);
  }
  return m;
}

/** Processes whose command line has `argv0` as its first word and passes `keep`. */
export async function pidsMatching(argv0: string, keep: (args: string[]) => boolean): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (args[0] === argv0 && keep(args)) out.push(Number(pid));
  }
  return out;
}

/** The processes of a container's cgroup (v1 pids controller, or the v2 tree). */
export async function cgroupPids(cgroupsPath: string): Promise<number[]> {
  for (const f of [
    `/sys/fs/cgroup/pids${cgroupsPath}/cgroup.procs`,
    `/sys/fs/cgroup${cgroupsPath}/cgroup.procs`,
  ]) {
    const text = await readFile(f, "utf8").catch(() => null);
    if (text !== null) return text.split("\n").filter(Boolean).map(Number);
  }
  return [];
}

export async function diskFreeGiB(path: string): Promise<number> {
  const { statfs } = await import("node:fs/promises");
  const s = await statfs(path);
  return Math.round(((s.bavail * s.bsize) / 2 ** 30) * 10) / 10;
}

export async function pidsInUse(): Promise<number> {
  return (await readdir("/proc")).filter((p) => /^\d+$/.test(p)).length;
}
