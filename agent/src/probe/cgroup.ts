import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Which cgroup hierarchy the container driver can put limits in. v2 only when the unified root
 * really has controllers: on hybrid hosts (like the development machines) a v2 mount exists
 * under /sys/fs/cgroup/unified with none, and the limits live in the v1 controllers.
 */
export async function probeCgroup(
  opts: { root?: string; timeoutMs?: number } = {},
): Promise<"v1" | "v2" | null> {
  const root = opts.root ?? "/sys/fs/cgroup";
  const probe = async (): Promise<"v1" | "v2" | null> => {
    const controllers = await readFile(join(root, "cgroup.controllers"), "utf8").catch(() => "");
    if (controllers.trim() !== "") return "v2";
    const memory = await stat(join(root, "memory")).catch(() => null);
    return memory?.isDirectory() ? "v1" : null;
  };
  // sysfs does not hang in practice, but a probe must never stall the agent's start.
  const timeout = new Promise<null>((r) => setTimeout(r, opts.timeoutMs ?? 3000, null).unref());
  return Promise.race([probe().catch(() => null), timeout]);
}
