import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../files";

/** IPv4 helpers on plain numbers: the pool and the tenant subnets are small, fixed-width ranges. */
export function parseIp(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new Error(`not an IPv4 address: ${ip}`);
    n = n * 256 + v;
  }
  return n;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export type Cidr = { base: number; prefixLen: number };

export function parseCidr(cidr: string): Cidr {
  const [ip, len] = cidr.split("/");
  const prefixLen = Number(len);
  if (ip === undefined || !Number.isInteger(prefixLen) || prefixLen < 8 || prefixLen > 30) {
    throw new Error(`not an IPv4 CIDR with a prefix between /8 and /30: ${cidr}`);
  }
  const size = 2 ** (32 - prefixLen);
  const base = parseIp(ip);
  if (base % size !== 0) throw new Error(`${cidr} has host bits set`);
  return { base, prefixLen };
}

/** The i-th tenant subnet of the pool: the pool split into blocks of tenantPrefixLen. */
export function tenantSubnet(pool: Cidr, tenantPrefixLen: number, index: number): Cidr {
  const count = 2 ** (tenantPrefixLen - pool.prefixLen);
  if (index < 0 || index >= count) throw new Error(`tenant subnet index ${index} out of range`);
  return { base: pool.base + index * 2 ** (32 - tenantPrefixLen), prefixLen: tenantPrefixLen };
}

/** The gateway (the bridge's own address) is the first host address; instances take the rest. */
export const gatewayOf = (s: Cidr) => s.base + 1;

/** The lowest free host address of the subnet after the gateway, or null when it is full. */
export function freeAddress(s: Cidr, used: Set<number>): number | null {
  const last = s.base + 2 ** (32 - s.prefixLen) - 2; // the broadcast address is not a host
  for (let a = s.base + 2; a <= last; a++) if (!used.has(a)) return a;
  return null;
}

export const portEntry = z.strictObject({
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(["tcp", "udp"]),
  hostPort: z.number().int().min(1).max(65535),
});
export type PortEntry = z.infer<typeof portEntry>;

export const instanceRecord = z.strictObject({
  tenantId: z.string(),
  ip: z.string(),
  ports: z.array(portEntry),
  /** Set for a veth attachment: the namespace name and the host end; absent for an external link. */
  netns: z.string().optional(),
  hostIf: z.string().optional(),
});
export type InstanceRecord = z.infer<typeof instanceRecord>;

export const netState = z.strictObject({
  version: z.literal(1),
  /** tenant id → index of its subnet in the pool and its bridge's name. */
  tenants: z.record(z.string(), z.strictObject({ index: z.number().int().min(0), bridge: z.string() })),
  instances: z.record(z.string(), instanceRecord),
  /** Where the next host port search starts (round robin over the range). */
  nextPort: z.number().int().optional(),
});
export type NetState = z.infer<typeof netState>;

export const emptyState = (): NetState => ({ version: 1, tenants: {}, instances: {} });

export async function loadState(file: string): Promise<NetState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
    throw err;
  }
  return netState.parse(JSON.parse(text));
}

/** Temporary file, fsync, rename, fsync of the directory: a crash leaves the old or the new state. */
export async function saveState(file: string, state: NetState): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, syncDir: true });
}
