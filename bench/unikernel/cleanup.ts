// Removes everything the bench made, also after a failure or SIGINT, then looks for leftovers by
// name: the driver's QEMU processes (from their records), taps, the instances' cgroups, network
// attachments, the tenant bridge, published-port elements in the port range. A unikernel has no
// rootfs or mounts on the host (the jail's are in its own namespace). The data dir goes last.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { cgroupPathOf } from "../../agent/src/drivers/microvm/cgroup";
import { isAlive, killIfAlive } from "../../agent/src/drivers/microvm/jail";
import { tapName } from "../../agent/src/drivers/microvm/tap";
import { bridgeName } from "../../agent/src/net/index";
import type { BenchArgs } from "./args";
import { type Kit, recordOf } from "./kit";

const run = promisify(execFile);

/** The instance's cgroup directories: each v1 hierarchy's, and the v2 tree's. */
const cgroupDirs = (id: string) => [
  ...["memory", "cpu", "cpuacct", "pids"].map((c) => `/sys/fs/cgroup/${c}${cgroupPathOf(id)}`),
  `/sys/fs/cgroup${cgroupPathOf(id)}`,
];

export async function cleanupAll(
  kit: Kit,
  args: BenchArgs,
  tenants: string[],
  say: (s: string) => void,
): Promise<string[]> {
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      say(`cleanup: ${what}: ${(err as Error).message}`);
    }
  };
  // Sequentially: each stop is a SIGTERM and a cgroup removal, nothing worth a pool on 2 cores.
  for (const id of kit.started) await step(`stop ${id}`, () => kit.driver.stop(id, 500));
  // A start interrupted between spawn and its record (Ctrl-C twice) leaves QEMU with a record only.
  for (const id of kit.started)
    await step(`kill ${id}`, async () => {
      const r = await recordOf(kit, id);
      if (r?.pid && r.startTime) await killIfAlive(r.pid, r.startTime);
    });
  await step("network attachments", async () => {
    for (const id of await kit.network.list()) await kit.network.detach(id);
  });

  const left: string[] = [];
  const links = (await run("ip", ["-br", "link"])).stdout;
  for (const id of kit.started) {
    const r = await recordOf(kit, id);
    if (r?.pid && r.startTime && (await isAlive(r.pid, r.startTime))) left.push(`QEMU pid ${r.pid} (${id})`);
    if (links.includes(tapName(id))) left.push(`tap ${tapName(id)}`);
    for (const dir of cgroupDirs(id)) if (existsSync(dir)) left.push(`cgroup ${dir}`);
  }
  for (const id of await kit.network.list().catch(() => [])) left.push(`network attachment ${id}`);
  for (const t of tenants)
    if (links.includes(bridgeName(t, args.subnet))) left.push(`bridge ${bridgeName(t, args.subnet)}`);
  const map = await run("nft", ["list", "map", "inet", "berth", "published"]).catch(() => ({ stdout: "" }));
  for (const m of map.stdout.matchAll(/(tcp|udp) \. (\d+) :/g)) {
    const port = Number(m[2]);
    if (port >= args.portRange.min && port <= args.portRange.max) left.push(`nft published ${m[1]} ${port}`);
  }
  if (!left.some((l) => l.includes("QEMU")))
    await step("data dir", () => rm(kit.dataDir, { recursive: true, force: true }));
  else left.push(`data dir ${kit.dataDir} (kept: QEMU processes remain)`);
  return left;
}
