// Per-instance cgroup usage for heartbeats: what the driver reads, turned into the contract's
// metrics, with a cpu percent over the time since the previous heartbeat.
import { type InstanceMetrics, type InstanceReport, instanceMetrics } from "@berth/contracts";
import type { Driver, InstanceStatus, InstanceUsage } from "./driver";
import { toReport } from "./jobs";

type Previous = { generation: number; cpuNs: number; atNs: bigint };

/** A limit as the contract carries it: the kernel's "unlimited" (max, or 2^63 rounded) is null. */
const limitOf = (n: number) => (Number.isSafeInteger(n) ? n : null);

export class MetricsSampler {
  private previous = new Map<string, Previous>();

  constructor(
    private readonly driver: Driver,
    private readonly clockNs: () => bigint = () => process.hrtime.bigint(),
  ) {}

  /** Whether heartbeats carry metrics at all: never for sim agents, which must stay cheap. */
  get enabled(): boolean {
    return !this.driver.sim && this.driver.metrics !== undefined;
  }

  /** The heartbeat's instance reports, each running one with its metrics when they could be read. */
  async reports(statuses: InstanceStatus[]): Promise<InstanceReport[]> {
    if (!this.enabled) return statuses.map(toReport);
    const next = new Map<string, Previous>();
    const reports = await Promise.all(
      statuses.map(async (s) => {
        const report = toReport(s);
        if (s.state !== "running") return report;
        const usage = await this.driver.metrics?.(s.instanceId).catch(() => null);
        if (!usage) return report;
        const at = this.clockNs();
        const metrics = this.toMetrics(s, usage, at);
        next.set(s.instanceId, { generation: s.generation, cpuNs: usage.cpuNs, atNs: at });
        return metrics ? { ...report, metrics } : report;
      }),
    );
    // Only what runs now is kept: instances that ended are forgotten.
    this.previous = next;
    return reports;
  }

  private toMetrics(s: InstanceStatus, u: InstanceUsage, at: bigint): InstanceMetrics | null {
    const prev = this.previous.get(s.instanceId);
    const elapsedNs = prev ? Number(at - prev.atNs) : 0;
    // A new generation, or a counter that went back (a new cgroup), starts over.
    const comparable = prev && prev.generation === s.generation && u.cpuNs >= prev.cpuNs && elapsedNs > 0;
    const cpuPercent = comparable ? Math.round(((u.cpuNs - prev.cpuNs) / elapsedNs) * 1000) / 10 : null;
    const m = instanceMetrics.safeParse({
      cpuMs: Math.floor(u.cpuNs / 1e6),
      cpuPercent,
      memoryBytes: u.memoryBytes,
      memoryLimitBytes: limitOf(u.memoryLimitBytes),
      pids: u.pids,
      pidsLimit: limitOf(u.pidsLimit),
    });
    // A value out of the contract's bounds would cost the whole heartbeat a 400: send none instead.
    return m.success ? m.data : null;
  }
}
