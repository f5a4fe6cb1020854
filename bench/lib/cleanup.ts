// The pieces every bench's cleanup shares: a step that reports its failure and goes on, the mounts
// left under the data dir, and the leftovers found by name in the host's network (tenant bridges,
// published-port elements in the bench's port range).
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { bridgeName } from "../../agent/src/net/index";

export const run = promisify(execFile);

/** Runs one cleanup step; a failure is said and the cleanup goes on. */
export const cleanupStep =
  (say: (s: string) => void) =>
  async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      say(`cleanup: ${what}: ${(err as Error).message}`);
    }
  };

/** The mount points under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  const points = table
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The tenants' bridges still in `links` (`ip -br link`), and published ports still in nftables. */
export async function networkLeftovers(
  links: string,
  tenants: Iterable<string>,
  args: { subnet: string; portRange: { min: number; max: number } },
): Promise<string[]> {
  const left: string[] = [];
  for (const t of tenants)
    if (links.includes(bridgeName(t, args.subnet))) left.push(`bridge ${bridgeName(t, args.subnet)}`);
  const map = await run("nft", ["list", "map", "inet", "berth", "published"]).catch(() => ({ stdout: "" }));
  for (const m of map.stdout.matchAll(/(tcp|udp) \. (\d+) :/g)) {
    const port = Number(m[2]);
    if (port >= args.portRange.min && port <= args.portRange.max) left.push(`nft published ${m[1]} ${port}`);
  }
  return left;
}
