import type { IsolationLevel } from "@berth/contracts";

/**
 * What running an instance costs a host beyond the workload's own limits: a micro-VM carries a
 * guest kernel and a VMM, a unikernel a VMM, a container little more than its runtime shim. The
 * micro-VM's figure is measured (`npm run bench:microvm`: QEMU holds about 70 MiB beyond the guest's
 * RAM under TCG, its translation cache included).
 */
export const levelOverhead: Record<IsolationLevel | "sim", { cpuMillis: number; memoryMiB: number }> = {
  container: { cpuMillis: 0, memoryMiB: 8 },
  microvm: { cpuMillis: 50, memoryMiB: 72 },
  unikernel: { cpuMillis: 10, memoryMiB: 16 },
  sim: { cpuMillis: 0, memoryMiB: 0 },
};

export type HostView = {
  id: string;
  status: string;
  cordoned: boolean;
  isolationLevels: readonly string[];
  labels: Record<string, string>;
  cpuMillis: number;
  memoryMiB: number;
  maxInstances: number;
  reservedCpuMillis: number;
  reservedMemoryMiB: number;
  reservedInstances: number;
};

export type PlacementRequest = {
  tenantId: string;
  level: IsolationLevel;
  cpuMillis: number;
  memoryMiB: number;
  hostSelector: Record<string, string>;
  /** The tenant's policy asks for hosts that carry the label `tenant=<tenantId>`. */
  dedicatedHosts: boolean;
  strategy: "binpack" | "spread";
  /** Instances of the same deployment per host, for anti-affinity. */
  siblingsOnHost: ReadonlyMap<string, number>;
  /** The host that holds the deployment's volumes, when it mounts any that already live somewhere. */
  pinnedHost?: { id: string; why: string };
};

/**
 * The smallest guest a micro-VM gets, whatever the deployment asks: the guest kernel needs it to
 * boot (the agent's microvm driver, qemu.ts, applies the same floor).
 */
export const minGuestMemoryMiB = 96;

/** The reservation an instance takes: its limits (a micro-VM's guest at least its floor) plus its level's overhead. */
export function reservationFor(req: Pick<PlacementRequest, "level" | "cpuMillis" | "memoryMiB">) {
  const o = levelOverhead[req.level];
  const memoryMiB = req.level === "microvm" ? Math.max(req.memoryMiB, minGuestMemoryMiB) : req.memoryMiB;
  return { cpuMillis: req.cpuMillis + o.cpuMillis, memoryMiB: memoryMiB + o.memoryMiB };
}

/** Why a host cannot take the instance, or null when it can. */
export function rejectReason(h: HostView, req: PlacementRequest): string | null {
  if (req.pinnedHost && h.id !== req.pinnedHost.id) return req.pinnedHost.why;
  if (h.status !== "ready") return `host is ${h.status}`;
  // A sim host launches nothing: only deployments that ask for one (scale tests) may land there.
  if (h.labels.sim === "true" && req.hostSelector.sim !== "true")
    return "host is a sim host (scale tests only; select it with sim=true)";
  if (h.cordoned) return "host is cordoned";
  if (!h.isolationLevels.includes(req.level)) return `host does not offer ${req.level}`;
  for (const [k, v] of Object.entries(req.hostSelector))
    if (h.labels[k] !== v) return `host lacks label ${k}=${v}`;
  const dedicatedTo = h.labels.tenant;
  if (req.dedicatedHosts && dedicatedTo !== req.tenantId) return "tenant needs a dedicated host";
  if (dedicatedTo !== undefined && dedicatedTo !== req.tenantId) return "host is dedicated to another tenant";
  const r = reservationFor(req);
  if (h.reservedInstances + 1 > h.maxInstances) return "host is at its instance limit";
  if (h.reservedCpuMillis + r.cpuMillis > h.cpuMillis) return "not enough cpu";
  if (h.reservedMemoryMiB + r.memoryMiB > h.memoryMiB) return "not enough memory";
  return null;
}

/**
 * Candidate hosts, best first. Anti-affinity dominates: a host already running a sibling ranks
 * below every host without one. Then bin-pack prefers the fullest host (fewer hosts busy, big
 * holes kept for big instances) and spread the emptiest. Ties break by id for determinism.
 */
export function rankHosts(hosts: readonly HostView[], req: PlacementRequest): HostView[] {
  const r = reservationFor(req);
  const fill = (h: HostView) =>
    Math.max(
      (h.reservedCpuMillis + r.cpuMillis) / h.cpuMillis,
      (h.reservedMemoryMiB + r.memoryMiB) / h.memoryMiB,
    );
  return hosts
    .filter((h) => rejectReason(h, req) === null)
    .map((h) => ({ h, siblings: req.siblingsOnHost.get(h.id) ?? 0, fill: fill(h) }))
    .sort(
      (a, b) =>
        a.siblings - b.siblings ||
        (req.strategy === "binpack" ? b.fill - a.fill : a.fill - b.fill) ||
        a.h.id.localeCompare(b.h.id),
    )
    .map((x) => x.h);
}

/** One line for an instance that fits nowhere: the most common reason across hosts. */
export function explainUnplaceable(hosts: readonly HostView[], req: PlacementRequest): string {
  if (hosts.length === 0) return `no host can run this yet: no ready host offers the ${req.level} level`;
  const counts = new Map<string, number>();
  for (const h of hosts) {
    const why = rejectReason(h, req) ?? "fits";
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return `no host can run this now: ${hosts.length} host(s) considered; most common reason: ${top?.[0]}`;
}
