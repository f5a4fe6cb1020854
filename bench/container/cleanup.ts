// Removes everything the bench made, also after a failure or SIGINT, then checks the host for
// leftovers by name: containers (both runc roots), mounts under the data dir, namespaces, veths,
// tenant bridges, published-port elements in the port range, cgroups. The data dir goes last.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { cgroupsPathOf } from "../../agent/src/drivers/container/host";
import { netnsName, vethName } from "../../agent/src/net/index";
import { cleanupStep, mountsUnder, networkLeftovers, run } from "../lib/cleanup";
import { pool } from "../lib/kit";
import type { BenchArgs } from "./args";
import type { Kit } from "./kit";

const runc = "/usr/sbin/runc";

async function runcIds(root: string): Promise<string[]> {
  const out = await run(runc, ["--root", root, "list", "-q"]).catch(() => ({ stdout: "" }));
  return out.stdout.split("\n").filter(Boolean);
}

export async function cleanupAll(kit: Kit, args: BenchArgs, say: (s: string) => void): Promise<string[]> {
  const step = cleanupStep(say);
  const rawRoot = join(kit.rawDir, "runc");
  const agentRoot = join(kit.agentDir, "runc");
  await step("raw containers", async () => {
    for (const id of await runcIds(rawRoot)) await run(runc, ["--root", rawRoot, "delete", "--force", id]);
  });
  await step("driver instances", () =>
    pool([...kit.started], 8, async (id) => {
      await kit.driver.stop(id, 1000).catch((err) => say(`cleanup: stop ${id}: ${(err as Error).message}`));
    }),
  );
  await step("driver containers", async () => {
    for (const id of await runcIds(agentRoot))
      await run(runc, ["--root", agentRoot, "delete", "--force", id]);
  });
  await step("network attachments", async () => {
    for (const id of await kit.network.list()) await kit.network.detach(id);
  });
  await step("mounts", async () => {
    for (const m of await mountsUnder(kit.dataDir)) await run("umount", ["-l", m]).catch(() => {});
  });

  const left: string[] = [];
  for (const root of [rawRoot, agentRoot])
    for (const id of await runcIds(root)) left.push(`runc container ${id}`);
  for (const m of await mountsUnder(kit.dataDir)) left.push(`mount ${m}`);
  const netns = (await run("ip", ["netns", "list"])).stdout;
  const links = (await run("ip", ["-br", "link"])).stdout;
  for (const id of kit.started) {
    if (netns.includes(netnsName(id))) left.push(`netns ${netnsName(id)}`);
    if (links.includes(vethName(id))) left.push(`veth ${vethName(id)}`);
    for (const cg of [cgroupsPathOf(id), cgroupsPathOf(`raw-${id}`)])
      if (existsSync(`/sys/fs/cgroup/memory${cg}`) || existsSync(`/sys/fs/cgroup${cg}/cgroup.procs`))
        left.push(`cgroup ${cg}`);
  }
  left.push(...(await networkLeftovers(links, kit.tenants, args)));
  if (!left.some((l) => l.startsWith("mount ")))
    await step("data dir", () => rm(kit.dataDir, { recursive: true, force: true }));
  else left.push(`data dir ${kit.dataDir} (kept: mounts remain)`);
  return left;
}
