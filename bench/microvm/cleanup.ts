// Removes everything the bench made, also after a failure or SIGINT, then looks for leftovers by
// name: QEMU processes (the driver's, from their records, and the raw boots'), taps, the VMs'
// cgroups, network attachments, the tenant bridge, published-port elements in the port range,
// mounts under the data dir. The data dir goes last.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { cleanupStep, mountsUnder, networkLeftovers, run } from "../lib/cleanup";
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
  await step("raw QEMU", async () => {
    for (const pid of kit.raw) process.kill(pid, "SIGKILL");
  });
  // Sequentially: stops run QEMU's exit and the cgroup removal, nothing worth a pool of 2 cores.
  for (const id of kit.started) await step(`stop ${id}`, () => kit.driver.stop(id, 1000));
  await step("network attachments", async () => {
    for (const id of await kit.network.list()) await kit.network.detach(id);
  });
  await step("mounts", async () => {
    for (const m of await mountsUnder(kit.dataDir)) await run("umount", ["-l", m]).catch(() => {});
  });

  const links = (await run("ip", ["-br", "link"])).stdout;
  const left = await instanceLeftovers(kit.started, links, (id) => recordOf(kit, id));
  for (const pid of kit.raw) if (existsSync(`/proc/${pid}`)) left.push(`raw QEMU pid ${pid}`);
  for (const id of await kit.network.list().catch(() => [])) left.push(`network attachment ${id}`);
  left.push(...(await networkLeftovers(links, tenants, args)));
  for (const m of await mountsUnder(kit.dataDir)) left.push(`mount ${m}`);
  if (!left.some((l) => l.startsWith("mount ") || l.includes("QEMU")))
    await step("data dir", () => rm(kit.dataDir, { recursive: true, force: true }));
  else left.push(`data dir ${kit.dataDir} (kept: mounts or processes remain)`);
  return left;
}
