// Removes everything the bench made, also after a failure or SIGINT, then looks for leftovers by
// name: the driver's QEMU processes (from their records), taps, the instances' cgroups, network
// attachments, the tenant bridge, published-port elements in the port range. A unikernel has no
// rootfs or mounts on the host (the jail's are in its own namespace). The data dir goes last.
import { rm } from "node:fs/promises";
import { killIfAlive } from "../../agent/src/drivers/microvm/jail";
import { cleanupStep, networkLeftovers, run } from "../lib/cleanup";
import { instanceLeftovers } from "../lib/vm";
import type { BenchArgs } from "./args";
import { type Kit, recordOf } from "./kit";

export async function cleanupAll(
  kit: Kit,
  args: BenchArgs,
  tenants: string[],
  say: (s: string) => void,
): Promise<string[]> {
  const step = cleanupStep(say);
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

  const links = (await run("ip", ["-br", "link"])).stdout;
  const left = await instanceLeftovers(kit.started, links, (id) => recordOf(kit, id));
  for (const id of await kit.network.list().catch(() => [])) left.push(`network attachment ${id}`);
  left.push(...(await networkLeftovers(links, tenants, args)));
  if (!left.some((l) => l.includes("QEMU")))
    await step("data dir", () => rm(kit.dataDir, { recursive: true, force: true }));
  else left.push(`data dir ${kit.dataDir} (kept: QEMU processes remain)`);
  return left;
}
