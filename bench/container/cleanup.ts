// Removes everything the bench made, also after a failure or SIGINT, then checks the host for
// leftovers by name: containers (both runc roots), mounts under the data dir, namespaces, veths,
// tenant bridges, published-port elements in the port range, cgroups. The data dir goes last.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { cgroupsPathOf } from "../../agent/src/drivers/container/host";
import { bridgeName, netnsName, vethName } from "../../agent/src/net/index";
import type { BenchArgs } from "./args";
import { type Kit, pool } from "./kit";

const run = promisify(execFile);
const runc = "/usr/sbin/runc";

async function runcIds(root: string): Promise<string[]> {
  const out = await run(runc, ["--root", root, "list", "-q"]).catch(() => ({ stdout: "" }));
  return out.stdout.split("\n").filter(Boolean);
}

async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  const points = table
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function cleanupAll(kit: Kit, args: BenchArgs, say: (s: string) => void): Promise<string[]> {
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      say(`cleanup: ${what}: ${(err as Error).message}`);
    }
  };
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
  for (const t of kit.tenants)
    if (links.includes(bridgeName(t, args.subnet))) left.push(`bridge ${bridgeName(t, args.subnet)}`);
  const map = await run("nft", ["list", "map", "inet", "berth", "published"]).catch(() => ({ stdout: "" }));
  for (const m of map.stdout.matchAll(/(tcp|udp) \. (\d+) :/g)) {
    const port = Number(m[2]);
    if (port >= args.portRange.min && port <= args.portRange.max) left.push(`nft published ${m[1]} ${port}`);
  }
  if (!left.some((l) => l.startsWith("mount ")))
    await step("data dir", () => rm(kit.dataDir, { recursive: true, force: true }));
  else left.push(`data dir ${kit.dataDir} (kept: mounts remain)`);
  return left;
}
