import { access, writeFile } from "node:fs/promises";
import { run } from "./exec";

export const NETNS_DIR = "/run/netns";

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
export const linkExists = (name: string) => exists(`/sys/class/net/${name}`);
export const netnsExists = (name: string) => exists(`${NETNS_DIR}/${name}`);

async function sysctl(path: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/${path}`, value);
}

/** ip commands in one process (each spawn costs about 10 ms from a Node process). */
const ipBatch = (lines: string[], opts: { netns?: string; force?: boolean } = {}) =>
  run("ip", [...(opts.netns ? ["-n", opts.netns] : []), ...(opts.force ? ["-force"] : []), "-batch", "-"], {
    input: `${lines.join("\n")}\n`,
  });

/** The tenant bridge with its gateway address, up; safe to call for an existing one. */
export async function ensureBridge(name: string, gatewayCidr: string): Promise<void> {
  const create = (await linkExists(name)) ? [] : [`link add ${name} type bridge`];
  await ipBatch([...create, `addr replace ${gatewayCidr} dev ${name}`, `link set ${name} up`]);
  // The host reaches instances from 127.0.0.1 (DNAT in output); such packets may leave through
  // this bridge only with route_localnet. No IPv6 on the bridge: no link-local path to the host.
  await sysctl(`net/ipv4/conf/${name}/route_localnet`, "1");
  await sysctl(`net/ipv6/conf/${name}/disable_ipv6`, "1").catch(() => {});
}

export async function enableForwarding(): Promise<void> {
  await sysctl("net/ipv4/ip_forward", "1");
}

/**
 * Deletes links and namespaces that exist, in one ip process. The veth goes before its namespace:
 * deleting a namespace destroys its eth0 (and so the host end) only later, asynchronously.
 */
export async function deleteAll(opts: { links?: string[]; netns?: string[] }): Promise<void> {
  const lines: string[] = [];
  for (const l of opts.links ?? []) if (await linkExists(l)) lines.push(`link del ${l}`);
  for (const n of opts.netns ?? []) if (await netnsExists(n)) lines.push(`netns del ${n}`);
  if (lines.length > 0) await ipBatch(lines);
}

/**
 * eth0's MAC derived from its address, as Docker does (02:42 and the four octets): an address
 * handed to a new instance right after its previous holder was detached keeps its MAC, so the
 * neighbour entries of the host and of the tenant's other instances stay right. With a random MAC
 * they point at the gone veth until they expire, and the new instance is unreachable for up to a
 * minute (measured by bench/container: 15 s without an answer).
 */
export function macFor(cidr: string): string {
  const octets = (cidr.split("/")[0] ?? "").split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !(Number.isInteger(o) && o >= 0 && o <= 255)))
    throw new Error(`not an IPv4 address: ${cidr}`);
  return ["02", "42", ...octets.map((o) => o.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The instance's namespace with eth0 (the peer of hostIf, a port of the bridge) configured, lo
 * up and the default route via the gateway. Every step is skipped or replaced when already done,
 * so this also repairs a half-made attachment (an agent killed midway, a reboot).
 */
export async function ensureVethNetns(opts: {
  netns: string;
  hostIf: string;
  bridge: string;
  cidr: string;
  gateway: string;
}): Promise<void> {
  const { netns, hostIf, bridge } = opts;
  const host: string[] = [];
  if (!(await netnsExists(netns))) host.push(`netns add ${netns}`);
  if (!(await linkExists(hostIf))) {
    host.push(
      `link add ${hostIf} master ${bridge} up type veth peer name eth0 address ${macFor(opts.cidr)} netns ${netns}`,
    );
  } else {
    host.push(`link set ${hostIf} master ${bridge} up`);
  }
  await ipBatch(host);
  // Inside: the sysctls first (they are the namespace's own), then the addresses, in one process.
  // A workload in a user namespace has no privilege over this namespace (it belongs to the host's
  // user namespace), so binding a port below 1024 (a web server on 80) or pinging would fail.
  const inside = [
    "echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start",
    'echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range',
    "exec ip -batch -",
  ].join(" && ");
  await run("nsenter", [`--net=${NETNS_DIR}/${netns}`, "sh", "-c", inside], {
    input: [
      `addr replace ${opts.cidr} dev eth0`,
      "link set eth0 up",
      "link set lo up",
      `route replace default via ${opts.gateway} dev eth0`,
      "",
    ].join("\n"),
  });
}
