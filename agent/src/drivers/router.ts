import type { IsolationLevel } from "@berth/contracts";
import type { Driver, ImagesInUse, InstanceSpec, InstanceStatus, InstanceUsage } from "../driver";

/**
 * The real agent's driver: hands each instance to the driver of its isolation level. A level
 * without a driver on this host is not offered, so the scheduler never places it here, and a
 * start that arrives anyway fails clearly.
 */
export class LevelRouter implements Driver {
  readonly levels: readonly IsolationLevel[];
  readonly sim = false;
  readonly guestKernel?: string;

  constructor(private readonly drivers: readonly Driver[]) {
    this.levels = [...new Set(drivers.flatMap((d) => d.levels))];
    const kernel = drivers.find((d) => d.guestKernel)?.guestKernel;
    if (kernel) this.guestKernel = kernel;
  }

  private forLevel(level: IsolationLevel): Driver {
    const d = this.drivers.find((x) => x.levels.includes(level));
    if (!d) throw new Error(`this agent has no driver for isolation level "${level}"`);
    return d;
  }

  /** Which driver holds an instance: asked of each, since none of them is told of the others. */
  private async owner(instanceId: string): Promise<Driver | undefined> {
    for (const d of this.drivers) if (await d.inspect(instanceId)) return d;
    return undefined;
  }

  async prepare(spec: InstanceSpec): Promise<void> {
    return this.forLevel(spec.isolation).prepare(spec);
  }

  async start(spec: InstanceSpec): Promise<InstanceStatus> {
    return this.forLevel(spec.isolation).start(spec);
  }

  async stop(instanceId: string, graceMs: number): Promise<InstanceStatus> {
    const d = await this.owner(instanceId);
    if (d) return d.stop(instanceId, graceMs);
    return { instanceId, generation: 1, state: "stopped", endpoints: [] };
  }

  async inspect(instanceId: string): Promise<InstanceStatus | null> {
    return (await (await this.owner(instanceId))?.inspect(instanceId)) ?? null;
  }

  async list(): Promise<InstanceStatus[]> {
    return (await Promise.all(this.drivers.map((d) => d.list()))).flat();
  }

  /** Asked of each driver that measures: one that does not hold the instance answers null. */
  async metrics(instanceId: string): Promise<InstanceUsage | null> {
    for (const d of this.drivers) {
      const m = await d.metrics?.(instanceId);
      if (m) return m;
    }
    return null;
  }

  /** Every driver's answer together; one that stores nothing adds nothing. */
  async imagesInUse(): Promise<ImagesInUse> {
    const all = await Promise.all(this.drivers.map((d) => d.imagesInUse?.()));
    return {
      digests: [...new Set(all.flatMap((u) => u?.digests ?? []))],
      unknown: all.flatMap((u) => u?.unknown ?? []),
    };
  }

  async *logs(instanceId: string, opts: { follow: boolean; since?: Date }): AsyncIterable<string> {
    const d = await this.owner(instanceId);
    if (d) yield* d.logs(instanceId, opts);
  }
}
