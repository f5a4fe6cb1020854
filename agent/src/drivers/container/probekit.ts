// Helpers for tests that look at real containers from the host: HTTP, runc's own view, /proc.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Fails (never skips) with what to install when the networking or image tools are missing. */
export function requireNetAndImageTools(): void {
  const tools: [string, string][] = [
    ["/usr/sbin/nft", "nftables"],
    ["/usr/sbin/ip", "iproute2"],
    ["/usr/bin/skopeo", "skopeo"],
  ];
  const missing = tools.filter(([path]) => !existsSync(path));
  if (missing.length)
    throw new Error(
      `missing ${missing.map(([p]) => p).join(", ")}: apt-get install -y --no-install-recommends ${missing.map(([, pkg]) => pkg).join(" ")}`,
    );
}

/** The status of a GET, its body drained; throws on a connection error or after 5 s. */
export async function httpStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

/** The host's first external IPv4 (not a berth bridge), or undefined on a loopback-only host. */
export function externalIpv4(): string | undefined {
  return Object.entries(networkInterfaces())
    .filter(([name]) => !name.startsWith("bth-"))
    .flatMap(([, addrs]) => addrs ?? [])
    .find((a) => a.family === "IPv4" && !a.internal)?.address;
}

export type RuncContainer = { id: string; pid: number; status: string };

/**
 * `runc list` of one runc root (the driver keeps its containers under DATA/container/runc). It
 * fails when a container is deleted while it reads the root: then it is asked again.
 */
export async function runcList(root: string): Promise<RuncContainer[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await run("runc", ["--root", root, "list", "--format", "json"]);
      return ((JSON.parse(stdout) as RuncContainer[] | null) ?? []).map(({ id, pid, status }) => ({
        id,
        pid,
        status,
      }));
    } catch (err) {
      if (attempt >= 5 || !/no such file or directory/.test(String(err))) throw err;
    }
  }
}

/** When the process started (clock ticks since boot, /proc/PID/stat field 22): a pid reused later differs. */
export function processStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
}
