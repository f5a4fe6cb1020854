// Facts about the host and the container's processes that the driver reads, outside its class.
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { InstanceSpec } from "../../driver";
import { readText } from "./files";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * True once the container's PID 1 is tini and has started the workload: tini blocks its signals
 * before it forks, so from then on a signal sent to it is forwarded. Before, PID 1 of a namespace
 * drops the signals it has no handler for, and a stop's SIGTERM would be lost.
 */
export async function initReady(pid: number, deadline: number): Promise<boolean> {
  for (;;) {
    const status = await readText(`/proc/${pid}/status`).catch(() => null);
    if (status === null) return false;
    if (status.match(/^Name:\s+(\S+)/m)?.[1] === "init") {
      const children = await readText(`/proc/${pid}/task/${pid}/children`).catch(() => null);
      if (children?.trim()) return true;
    }
    if (Date.now() > deadline) return false;
    await sleep(2);
  }
}

/** Every directory above the data dir must let others search it, or runc fails with EACCES. */
export async function searchableByAll(dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    const { mode } = await stat(d);
    if (!(mode & 0o001))
      throw new Error(
        `${d} (mode ${(mode & 0o777).toString(8)}) is not searchable by others: containers run as unprivileged uids and need o+x on every parent of the agent's data dir`,
      );
    if (d === dirname(d)) return;
  }
}

/** 137 = 128 + SIGKILL: the memory limit's OOM killer, or the stop's SIGKILL after the grace. */
export function exitReason(code: number): { reason?: string } {
  if (code === 137) return { reason: "killed (SIGKILL): out of memory or killed after the grace period" };
  if (code > 128) return { reason: `killed by signal ${code - 128}` };
  return code === 0 ? {} : { reason: `exited with code ${code}` };
}

export const cgroupsPathOf = (instanceId: string) => `/berth/${instanceId}`;

export function hostnameOf(spec: InstanceSpec): string {
  const name = spec.name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return name ? `${name}-${spec.instanceId.slice(0, 8)}` : spec.instanceId.slice(0, 8);
}

/** cgroup v1 without swap accounting has no memsw files; runc would fail to set a swap limit. */
export function swapAccounting(): boolean {
  if (!existsSync("/sys/fs/cgroup/memory")) return true;
  return existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
}
