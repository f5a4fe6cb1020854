import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { resolve } from "node:path";
import type { Log } from "../log";
import {
  type Cidr,
  formatIp,
  freeAddress,
  gatewayOf,
  type InstanceRecord,
  loadState,
  type NetState,
  type PortEntry,
  parseCidr,
  parseIp,
  saveState,
  tenantSubnet,
} from "./alloc";
import { NetCommandError } from "./exec";
import { deleteAll, enableForwarding, ensureBridge, ensureVethNetns, linkExists, NETNS_DIR } from "./link";
import { BRIDGE_PREFIX, installRuleset, isConflict, isMissing, publish, unpublish } from "./nft";
import type { Attachment, InstanceNetwork, PortRequest } from "./types";

export type InstanceNetworkOptions = {
  /** Where the allocation state lives (network.json). */
  dataDir: string;
  /** The address written in endpoints; the DNAT matches every address of the host anyway. */
  hostAddress?: string;
  /** The pool tenant subnets come from. */
  subnet?: string;
  /** Each tenant's block of the pool; /24 gives 253 instances per tenant per host. */
  tenantPrefixLen?: number;
  /** Host ports for published ports, inclusive. */
  portRange?: { min: number; max: number };
  /** Forward (masqueraded) traffic from workloads to public addresses; private ranges stay blocked. */
  outbound?: boolean;
  log?: Log;
};

/** What a tenant network gives an instance, whatever links it: a veth here, a tap for micro-VMs. */
export type Reservation = {
  tenantId: string;
  bridge: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  ports: PortEntry[];
  endpoints: string[];
};

type ReserveOpts = {
  instanceId: string;
  tenantId: string;
  ports: PortRequest[];
  hostIf?: string;
  netns?: string;
};

export type TenantNetwork = InstanceNetwork & {
  /**
   * The lower level a tap-based attach reuses: ensures the tenant's bridge, allocates (or finds)
   * the address and host ports, installs the DNAT, persists. `hostIf` names a link the caller
   * creates and enslaves to `bridge`; release deletes it.
   */
  reserve(opts: {
    instanceId: string;
    tenantId: string;
    ports: PortRequest[];
    hostIf?: string;
  }): Promise<Reservation>;
  /** The ids attached, for reconciliation against what the agent should run. */
  list(): Promise<string[]>;
  /**
   * Reinstalls the ruleset and re-creates whatever of every recorded attachment is missing: for
   * the agent's start and its periodic reconciliation (after a reboot, or after something ran
   * `nft flush ruleset`, e.g. a restart of Debian's nftables.service).
   */
  restore(): Promise<void>;
};

const hash = (s: string) => createHash("sha256").update(s).digest("hex");
// The pool is in the name because two agents on one machine (tests, the e2e operator journey) each
// delete a tenant's bridge with the tenant's last instance on their host: with one shared name,
// one agent's cleanup would unplug the other's instances. Hosts keep the name their state recorded.
export const bridgeName = (tenantId: string, pool: string) =>
  `${BRIDGE_PREFIX}${hash(`${pool} ${tenantId}`).slice(0, 11)}`;
export const vethName = (instanceId: string) => `bv${hash(instanceId).slice(0, 13)}`;
export const netnsName = (instanceId: string) => `berth-${hash(instanceId).slice(0, 16)}`;

const queues = new Map<string, Promise<unknown>>();

export function createTenantNetwork(opts: InstanceNetworkOptions): TenantNetwork {
  const file = resolve(opts.dataDir, "network.json");
  const hostAddress = opts.hostAddress ?? "127.0.0.1";
  const poolText = opts.subnet ?? "10.88.0.0/16";
  const pool = parseCidr(poolText);
  const tenantPrefixLen = opts.tenantPrefixLen ?? 24;
  if (tenantPrefixLen < pool.prefixLen || tenantPrefixLen > 30) {
    throw new Error(`tenantPrefixLen must be between /${pool.prefixLen} and /30`);
  }
  const range = opts.portRange ?? { min: 20000, max: 29999 };
  if (
    !(
      Number.isInteger(range.min) &&
      Number.isInteger(range.max) &&
      range.min >= 1 &&
      range.min <= range.max &&
      range.max <= 65535
    )
  ) {
    throw new Error(
      `portRange must be integers with 1 <= min <= max <= 65535, got ${range.min}-${range.max}`,
    );
  }
  const outbound = opts.outbound ?? true;
  const log = opts.log;

  let ready: Promise<void> | null = null;
  // One operation at a time per state file, across every object of this process that uses it
  // (say the container and micro-VM drivers each made one): allocation reads and writes it whole.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(file) ?? Promise.resolve()).then(fn, fn);
    queues.set(
      file,
      next.catch(() => {}),
    );
    return next;
  };

  async function load(how: { reinstall?: boolean } = {}): Promise<NetState> {
    if (how.reinstall) ready = null;
    if (!ready) {
      ready = (async () => {
        await installRuleset({ outbound }).catch((err) => {
          if (err instanceof NetCommandError && err.exitCode === null) {
            throw new Error(`nft is not installed or did not run (apt-get install nftables): ${err.message}`);
          }
          throw err;
        });
        await enableForwarding();
      })();
      ready.catch(() => {
        ready = null;
      });
    }
    await ready;
    // Read at every operation (a few KiB): another object may have written it since.
    return loadState(file);
  }

  function subnetOf(s: NetState, tenantId: string): Cidr {
    const t = s.tenants[tenantId];
    if (!t) throw new Error(`no subnet for tenant ${tenantId}`);
    return tenantSubnet(pool, tenantPrefixLen, t.index);
  }

  function allocTenant(s: NetState, tenantId: string): void {
    if (s.tenants[tenantId]) return;
    const used = new Set(Object.values(s.tenants).map((t) => t.index));
    const count = 2 ** (tenantPrefixLen - pool.prefixLen);
    let index = 0;
    while (used.has(index)) index++;
    if (index >= count) throw new Error(`no free tenant subnet in ${opts.subnet ?? "10.88.0.0/16"}`);
    s.tenants[tenantId] = { index, bridge: bridgeName(tenantId, poolText) };
  }

  /** Lowest free host ports: not in our state and not listened on by anything on the host. */
  async function allocPorts(s: NetState, ports: PortRequest[], avoid: Set<string>): Promise<PortEntry[]> {
    const used = new Set(avoid);
    for (const r of Object.values(s.instances))
      for (const p of r.ports) used.add(`${p.protocol}/${p.hostPort}`);
    const out: PortEntry[] = [];
    const size = range.max - range.min + 1;
    // Round robin from after the last port handed out: a freed port is reused as late as possible,
    // so a client still holding an old endpoint does not reach the next (maybe another tenant's) instance.
    let cursor =
      s.nextPort !== undefined && s.nextPort >= range.min && s.nextPort <= range.max ? s.nextPort : range.min;
    for (const p of ports) {
      for (let tried = 0; ; tried++) {
        if (tried >= size) throw new Error(`no free host port in ${range.min}-${range.max}`);
        const port = cursor;
        cursor = cursor >= range.max ? range.min : cursor + 1;
        if (used.has(`${p.protocol}/${port}`) || !(await portFree(p.protocol, port))) continue;
        used.add(`${p.protocol}/${port}`);
        out.push({ port: p.port, protocol: p.protocol, hostPort: port });
        break;
      }
    }
    s.nextPort = cursor;
    return out;
  }

  /**
   * A new record: address and ports allocated, the ports published (a port another agent process
   * already maps is refused by nft; those ports are avoided and others tried), then persisted.
   */
  async function allocate(s: NetState, o: ReserveOpts): Promise<InstanceRecord> {
    const hadTenant = Boolean(s.tenants[o.tenantId]);
    try {
      allocTenant(s, o.tenantId);
      const sub = subnetOf(s, o.tenantId);
      const usedIps = new Set(
        Object.values(s.instances)
          .filter((i) => i.tenantId === o.tenantId)
          .map((i) => parseIp(i.ip)),
      );
      const n = freeAddress(sub, usedIps);
      if (n === null) throw new Error(`tenant ${o.tenantId}'s subnet is full`);
      const ip = formatIp(n);
      const bridge = s.tenants[o.tenantId]?.bridge;
      const avoid = new Set<string>();
      for (let attempt = 0; ; attempt++) {
        const ports = await allocPorts(s, o.ports, avoid);
        try {
          await publish({ bridge, ip, ports });
        } catch (err) {
          if (isMissing(err) && attempt === 0) {
            await load({ reinstall: true }); // the table was flushed under us
            continue;
          }
          if (!isConflict(err) || attempt >= 5) throw err;
          for (const p of ports) avoid.add(`${p.protocol}/${p.hostPort}`);
          continue;
        }
        const r: InstanceRecord = { tenantId: o.tenantId, ip, ports };
        if (o.hostIf) r.hostIf = o.hostIf;
        if (o.netns) r.netns = o.netns;
        s.instances[o.instanceId] = r;
        await saveState(file, s);
        return r;
      }
    } catch (err) {
      if (!hadTenant) delete s.tenants[o.tenantId];
      throw err;
    }
  }

  function reservationOf(s: NetState, r: InstanceRecord): Reservation {
    const sub = subnetOf(s, r.tenantId);
    return {
      tenantId: r.tenantId,
      bridge: s.tenants[r.tenantId]?.bridge ?? bridgeName(r.tenantId, poolText),
      ip: r.ip,
      prefixLen: sub.prefixLen,
      gateway: formatIp(gatewayOf(sub)),
      ports: r.ports,
      endpoints: r.ports.map((p) => `${hostAddress}:${p.hostPort}`),
    };
  }

  const samePorts = (a: PortEntry[], b: PortRequest[]) =>
    a.length === b.length && a.every((p, i) => p.port === b[i]?.port && p.protocol === b[i]?.protocol);

  // Bridges this object has set up: a fresh attach on one skips its (re)configuration.
  const bridgesReady = new Set<string>();

  async function reserveLocked(o: ReserveOpts): Promise<{ res: Reservation; fresh: boolean }> {
    const s = await load();
    const known = s.instances[o.instanceId];
    if (known && (known.tenantId !== o.tenantId || !samePorts(known.ports, o.ports))) {
      throw new Error(`instance ${o.instanceId} is already attached with another tenant or other ports`);
    }
    if (known && o.netns !== undefined && known.netns !== o.netns) {
      throw new Error(`instance ${o.instanceId} was reserved for another link (a tap), not a namespace`);
    }
    const r = known ?? (await allocate(s, o));
    const res = reservationOf(s, r);
    try {
      // A known record is repaired in full (the agent may have died midway, or the host rebooted).
      if (known) await publish({ bridge: res.bridge, ip: r.ip, ports: r.ports });
      if (known || !bridgesReady.has(res.bridge) || !(await linkExists(res.bridge))) {
        await ensureBridge(res.bridge, `${res.gateway}/${res.prefixLen}`);
        bridgesReady.add(res.bridge);
      }
    } catch (err) {
      // A fresh reservation that failed leaves nothing behind; a repair that failed keeps its record.
      if (!known) await releaseLocked(o.instanceId).catch(() => {});
      throw err;
    }
    return { res, fresh: !known };
  }

  async function plugVeth(instanceId: string, res: Reservation): Promise<void> {
    await ensureVethNetns({
      netns: netnsName(instanceId),
      hostIf: vethName(instanceId),
      bridge: res.bridge,
      cidr: `${res.ip}/${res.prefixLen}`,
      gateway: res.gateway,
    });
  }

  async function releaseLocked(instanceId: string): Promise<void> {
    const s = await load();
    const r = s.instances[instanceId];
    if (!r) return;
    const t = s.tenants[r.tenantId];
    // The bridge goes with the tenant's last instance on this host: no idle links pile up.
    const last = !Object.entries(s.instances).some(
      ([id, i]) => id !== instanceId && i.tenantId === r.tenantId,
    );
    const bridge = last ? t?.bridge : undefined;
    await unpublish({ bridge, ports: r.ports });
    await deleteAll({
      links: [...(r.hostIf ? [r.hostIf] : []), ...(bridge ? [bridge] : [])],
      netns: r.netns ? [r.netns] : [],
    });
    delete s.instances[instanceId];
    if (bridge) {
      bridgesReady.delete(bridge);
      delete s.tenants[r.tenantId];
    }
    await saveState(file, s);
  }

  return {
    reserve: (o) => serial(async () => (await reserveLocked(o)).res),

    attach: (o) =>
      serial(async (): Promise<Attachment> => {
        const started = Date.now();
        const netns = netnsName(o.instanceId);
        const hostIf = vethName(o.instanceId);
        const { res, fresh } = await reserveLocked({ ...o, hostIf, netns });
        try {
          await plugVeth(o.instanceId, res);
        } catch (err) {
          // A fresh attach that failed leaves nothing behind; a repair that failed keeps its record.
          if (fresh) await releaseLocked(o.instanceId).catch(() => {});
          throw err;
        }
        log?.info("net attached", { instanceId: o.instanceId, ip: res.ip, ms: Date.now() - started });
        return {
          netnsPath: `${NETNS_DIR}/${netns}`,
          ip: res.ip,
          prefixLen: res.prefixLen,
          gateway: res.gateway,
          endpoints: res.endpoints,
        };
      }),

    detach: (instanceId) =>
      serial(async () => {
        const started = Date.now();
        await releaseLocked(instanceId);
        log?.info("net detached", { instanceId, ms: Date.now() - started });
      }),

    list: () => serial(async () => Object.keys((await load()).instances)),

    restore: () =>
      serial(async () => {
        const s = await load({ reinstall: true });
        bridgesReady.clear();
        for (const [instanceId, r] of Object.entries(s.instances)) {
          const { res } = await reserveLocked({
            instanceId,
            tenantId: r.tenantId,
            ports: r.ports,
            netns: r.netns,
          });
          // Only attachments this module plugged (a veth) are re-plugged; a tap is its owner's.
          if (r.netns) await plugVeth(instanceId, res);
        }
      }),
  };
}

/** True when nothing on the host listens on the port: a DNAT there would hide that service. */
function portFree(protocol: "tcp" | "udp", port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === "udp") {
      const sock = createSocket("udp4");
      sock.once("error", () => resolve(false));
      sock.bind(port, "0.0.0.0", () => sock.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "0.0.0.0", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
