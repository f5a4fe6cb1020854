import { isolationLevels } from "@berth/contracts";
import type { Driver, InstanceSpec, InstanceStatus } from "../driver";

export type SimDriverOptions = {
  hostId: string;
  /** How long a start takes; the scale benchmark sets it to model a real launch. */
  startDelayMs?: number;
};

/**
 * Launches nothing: a start resolves after a delay and the instance "runs" until stopped. It exists
 * so that hundreds of agents fit in one process for placement scale tests; it is never an
 * isolation level of its own, even though it accepts all three.
 */
export class SimDriver implements Driver {
  readonly levels = isolationLevels;
  readonly sim = true;
  private readonly instances = new Map<string, InstanceStatus>();
  private readonly hostId: string;
  private readonly delayMs: number;

  constructor(opts: SimDriverOptions) {
    this.hostId = opts.hostId;
    this.delayMs = opts.startDelayMs ?? 50;
  }

  async prepare(_spec: InstanceSpec): Promise<void> {}

  async start(spec: InstanceSpec): Promise<InstanceStatus> {
    const current = this.instances.get(spec.instanceId);
    // A repeated start of what already runs is the same start (the queue may redeliver).
    if (current && current.generation === spec.generation && current.state === "running")
      return { ...current };
    const starting: InstanceStatus = {
      instanceId: spec.instanceId,
      generation: spec.generation,
      state: "starting",
      endpoints: [],
    };
    this.instances.set(spec.instanceId, starting);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    // Stopped (or replaced) while "starting": that later request wins.
    if (this.instances.get(spec.instanceId) !== starting)
      return this.stoppedStatus(spec.instanceId, spec.generation);
    const running: InstanceStatus = {
      ...starting,
      state: "running",
      endpoints: [`sim://${this.hostId}/${spec.instanceId}`],
    };
    this.instances.set(spec.instanceId, running);
    return { ...running };
  }

  async stop(instanceId: string, _graceMs: number): Promise<InstanceStatus> {
    const current = this.instances.get(instanceId);
    // Forget stopped instances: a scale test stops as many as it starts, and memory must not grow.
    this.instances.delete(instanceId);
    return this.stoppedStatus(instanceId, current?.generation ?? 1);
  }

  async inspect(instanceId: string): Promise<InstanceStatus | null> {
    const s = this.instances.get(instanceId);
    return s ? { ...s, endpoints: [...s.endpoints] } : null;
  }

  async list(): Promise<InstanceStatus[]> {
    return [...this.instances.values()].map((s) => ({ ...s, endpoints: [...s.endpoints] }));
  }

  /** The sim's workloads print nothing. */
  async *logs(_instanceId: string, _opts: { follow: boolean; since?: Date }): AsyncIterable<string> {}

  private stoppedStatus(instanceId: string, generation: number): InstanceStatus {
    return { instanceId, generation, state: "stopped", endpoints: [] };
  }
}
