import { run } from "./exec";

/** Every tenant bridge is named BRIDGE_PREFIX + a hash, so static wildcard rules cover all of them. */
export const BRIDGE_PREFIX = "bth-";
export const TABLE = "berth";

/**
 * Destinations a workload may never reach by forwarding, even with outbound allowed: private,
 * shared, link-local, loopback, documentation, benchmark, multicast and reserved ranges. The
 * host's LAN and other hosts' services sit in such ranges in every deployment we know.
 */
const NON_PUBLIC = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/3",
];

/**
 * The whole ruleset as one nft transaction: tables, sets and maps are created if missing (their
 * elements kept), base chains flushed and refilled. Running it again, even from another process
 * at the same moment, leaves the same rules; there is never a moment without them.
 */
export function rulesetScript(opts: { outbound: boolean }): string {
  const t = `inet ${TABLE}`;
  const br = `"${BRIDGE_PREFIX}*"`;
  const chain = (name: string, spec: string, rules: string[]) => [
    `add chain ${t} ${name} { ${spec}; policy accept; }`,
    `flush chain ${t} ${name}`,
    ...rules.map((r) => `add rule ${t} ${name} ${r}`),
  ];
  const dnat = "fib daddr type local meta nfproto ipv4 dnat ip to meta l4proto . th dport map @published";
  return [
    `add table ${t}`,
    // (protocol, host port) → (instance address, instance port): one element per published port.
    `add map ${t} published { type inet_proto . inet_service : ipv4_addr . inet_service; }`,
    // (bridge, bridge) per tenant: traffic inside one tenant's bridge, seen here when br_netfilter is on.
    `add set ${t} intra { type ifname . ifname; }`,
    ...chain("nat_prerouting", "type nat hook prerouting priority dstnat", [
      // Workloads do not use the host's endpoints (no hairpin): another tenant's published port
      // would otherwise be a way around the isolation below.
      `iifname ${br} return`,
      dnat,
    ]),
    ...chain("nat_output", "type nat hook output priority -100", [dnat]),
    ...chain("nat_postrouting", "type nat hook postrouting priority srcnat", [
      // 127.0.0.1:HOSTPORT from the host: the instance must answer to an address it can route to.
      `oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
      ...(opts.outbound ? [`iifname ${br} oifname != ${br} masquerade`] : []),
    ]),
    ...chain("filter_input", "type filter hook input priority filter", [
      // Workloads reach no service of the host on any of its addresses; replies to the host's own
      // connections (the endpoints) pass.
      `iifname ${br} ct state established,related accept`,
      `iifname ${br} drop`,
    ]),
    ...chain("filter_forward", "type filter hook forward priority filter", [
      "iifname . oifname @intra accept",
      `oifname ${br} ct status dnat accept`,
      `oifname ${br} ct state established,related accept`,
      // Nothing else enters a tenant network: not another tenant, not another machine.
      `oifname ${br} drop`,
      // Replies of published ports to clients in private ranges (the LAN) and of outbound traffic.
      `iifname ${br} ct state established,related accept`,
      `iifname ${br} meta nfproto ipv6 drop`,
      `iifname ${br} ip daddr { ${NON_PUBLIC.join(", ")} } drop`,
      `iifname ${br} ${opts.outbound ? "accept" : "drop"}`,
    ]),
    "",
  ].join("\n");
}

export async function installRuleset(opts: { outbound: boolean }): Promise<void> {
  await run("nft", ["-f", "-"], { input: rulesetScript(opts) });
}

const elem = (p: { protocol: string; hostPort: number }) => `${p.protocol} . ${p.hostPort}`;
const set = (bridge: string) => `{ "${bridge}" . "${bridge}" }`;

export type PortMap = { protocol: string; hostPort: number; port: number };

/**
 * One transaction: the tenant's intra-bridge element and the published ports. `add element` is a
 * no-op for an identical element and fails with "File exists" when the host port is mapped
 * elsewhere (another agent process, another data dir, owns it): see isConflict.
 */
export async function publish(opts: { bridge?: string; ip: string; ports: PortMap[] }): Promise<void> {
  const lines = opts.ports.map(
    (p) => `add element inet ${TABLE} published { ${elem(p)} : ${opts.ip} . ${p.port} }`,
  );
  if (opts.bridge) lines.push(`add element inet ${TABLE} intra ${set(opts.bridge)}`);
  if (lines.length > 0) await run("nft", ["-f", "-"], { input: `${lines.join("\n")}\n` });
}

export const isConflict = (err: unknown) => err instanceof Error && /File exists/.test(err.message);

/**
 * Removes published ports (and the bridge's intra element) in one transaction; if something is
 * already gone (a repair after a crash), the transaction fails as a whole and each is removed alone.
 */
export async function unpublish(opts: { bridge?: string; ports: { protocol: string; hostPort: number }[] }) {
  const lines = opts.ports.map((p) => `delete element inet ${TABLE} published { ${elem(p)} }`);
  if (opts.bridge) lines.push(`delete element inet ${TABLE} intra ${set(opts.bridge)}`);
  if (lines.length === 0) return;
  try {
    await run("nft", ["-f", "-"], { input: `${lines.join("\n")}\n` });
  } catch (err) {
    if (!isMissing(err)) throw err;
    for (const line of lines) {
      await run("nft", ["-f", "-"], { input: `${line}\n` }).catch((e) => {
        if (!isMissing(e)) throw e;
      });
    }
  }
}

export const isMissing = (err: unknown) =>
  err instanceof Error && /No such file or directory/.test(err.message);
