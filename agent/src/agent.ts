import { hostQueue } from "@berth/contracts";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Driver } from "./driver";
import { ApiError } from "./errors";
import type { HostInfo } from "./host-info";
import { ControlPlane } from "./http";
import { createProcessor, type JobContext, stopAndReport } from "./jobs";
import type { Log } from "./log";
import { type LogShipping, startLogShipping } from "./logs";
import { MetricsSampler } from "./metrics";
import { connectRedis, workerReady } from "./redis";
import type { AgentState } from "./state";

export type AgentOptions = {
  state: AgentState;
  driver: Driver;
  log: Log;
  /** Capacity and capabilities, probed once by the caller (hundreds of sim agents share one). */
  host: HostInfo;
  /** Overrides the interval the control plane asks for (tests, benchmarks). */
  heartbeatIntervalMs?: number;
  /** Jobs handled at once; default 8. */
  concurrency?: number;
  /** Grace given to instances the control plane lists as unwanted; default 10 s. */
  unwantedGraceMs?: number;
  fetch?: typeof fetch;
  /** Where the drivers write `<instanceId>/console.log` (one dir per level): shipped to this host's log streams. */
  instanceLogsDirs?: string[];
  /** The host's volume store (the one the container driver mounts from); sim agents have none. */
  volumes?: HostVolumes;
};

/** What the agent needs of the volume store: heartbeats list its volumes, deleted ones are removed. */
export type HostVolumes = { list(): Promise<string[]>; remove(volumeId: string): Promise<void> };

/**
 * The daemon core of one host: heartbeats, acts on the control plane's stop lists (unwanted
 * instances, deleted volumes), and consumes the host's own queue. Nothing is global, so many
 * Agents can share a process (scale tests); each holds one ioredis client (BullMQ duplicates it
 * once for its blocking reads).
 */
export class Agent {
  private readonly abort = new AbortController();
  private readonly cp: ControlPlane;
  private readonly log: Log;
  private readonly ctx: JobContext;
  private worker: Worker | undefined;
  private connection: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number;
  private stopping: Promise<void> | undefined;
  private stopped = false;
  private started = false;
  private readonly unwanted = new Set<string>();
  private readonly removing = new Set<string>();
  private logs: LogShipping | undefined;
  private readonly sampler: MetricsSampler;

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.log.child({ host: opts.state.hostId });
    this.intervalMs = opts.heartbeatIntervalMs ?? opts.state.heartbeatIntervalMs;
    this.cp = this.controlPlane(this.abort.signal);
    this.ctx = { driver: opts.driver, cp: this.cp, log: this.log };
    this.sampler = new MetricsSampler(opts.driver);
  }

  get hostId(): string {
    return this.opts.state.hostId;
  }

  /** Heartbeats once (a refused identity fails here, loudly), then starts the worker and the loop. */
  async start(): Promise<void> {
    await this.heartbeat({ throwOnRefusal: true });
    const { state } = this.opts;
    this.connection = await connectRedis(state.redis, this.log);
    this.worker = new Worker(hostQueue.name(state.hostId), createProcessor(this.ctx), {
      connection: this.connection,
      prefix: state.queue.prefix,
      concurrency: this.opts.concurrency ?? 8,
      // The version check needs INFO, which the host's ACL user need not be granted.
      skipVersionCheck: true,
    });
    this.worker.on("error", (err) => this.log.warn("queue worker", { error: err.message }));
    this.worker.on("failed", (job, err) =>
      this.log.error("job failed", { job: job?.id, error: err.message }),
    );
    // Ready means BullMQ's own blocking client is connected too: closing the worker while that
    // client still connects makes BullMQ throw from an event emitter (seen with an early SIGTERM).
    await workerReady(this.worker);
    if (this.opts.instanceLogsDirs?.length)
      this.logs = startLogShipping({
        redis: this.connection,
        hostId: state.hostId,
        prefix: state.queue.prefix,
        dirs: this.opts.instanceLogsDirs,
        log: this.log,
      });
    this.started = true;
    this.schedule();
    this.log.info("agent started", {
      queue: state.queue.name,
      levels: this.opts.host.capabilities.isolationLevels.join(",") || "none",
    });
  }

  /** Stops taking jobs (the active ones finish), sends a last heartbeat and disconnects. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      clearTimeout(this.timer);
      try {
        await this.worker?.close();
      } catch (err) {
        this.log.warn("closing the worker", { error: (err as Error).message });
      }
      await this.logs?.stop();
      this.abort.abort(new Error("agent stopping"));
      // After a failed start() there is nothing to report: a heartbeat would mark the host ready.
      if (this.started) await this.finalHeartbeat();
      await this.closeQueue();
      this.log.info("agent stopped");
    })();
    return this.stopping;
  }

  private async finalHeartbeat() {
    try {
      // A fresh client: the agent's own is aborted; the last heartbeat must not wait long.
      const last = this.controlPlane(AbortSignal.timeout(3000));
      await last.heartbeat(await this.heartbeatBody());
    } catch (err) {
      this.log.warn("final heartbeat", { error: (err as Error).message });
    }
  }

  private controlPlane(signal: AbortSignal): ControlPlane {
    const { state } = this.opts;
    return new ControlPlane({
      server: state.server,
      hostToken: state.hostToken,
      signal,
      fetch: this.opts.fetch,
    });
  }

  private async closeQueue() {
    await this.worker?.close().catch(() => {});
    await this.connection?.quit().catch(() => this.connection?.disconnect());
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.heartbeat({ throwOnRefusal: false });
      this.schedule();
    }, this.intervalMs);
  }

  /** What the heartbeat reports: every instance the driver knows, with metrics when it has them. */
  async heartbeatBody() {
    const instances = await this.sampler.reports(await this.opts.driver.list());
    const volumes = (await this.opts.volumes?.list()) ?? [];
    return { ...this.opts.host, instances, volumes };
  }

  private async heartbeat(opts: { throwOnRefusal: boolean }): Promise<void> {
    try {
      const res = await this.cp.heartbeat(await this.heartbeatBody());
      this.intervalMs = this.opts.heartbeatIntervalMs ?? res.heartbeatIntervalMs;
      for (const s of res.stop) this.stopUnwanted(s.instanceId, s.generation);
      for (const id of res.removeVolumes) this.removeVolume(id);
    } catch (err) {
      if (this.abort.signal.aborted) return;
      // 4xx: the identity is refused (host removed, token revoked): no retry will fix that.
      if (opts.throwOnRefusal && err instanceof ApiError && err.status >= 400 && err.status < 500) throw err;
      this.log.warn("heartbeat failed", { error: (err as Error).message });
    }
  }

  /**
   * Deletes a deleted volume's data. A failure (the volume still mounted, say) is logged and the
   * next heartbeat asks again: the control plane keeps naming it until it is gone.
   */
  private removeVolume(volumeId: string) {
    const store = this.opts.volumes;
    if (!store || this.removing.has(volumeId)) return;
    this.removing.add(volumeId);
    this.log.info("deleting a deleted volume's data", { volume: volumeId });
    void store
      .remove(volumeId)
      .catch((err) => this.log.warn("deleting a volume", { volume: volumeId, error: err.message }))
      .finally(() => this.removing.delete(volumeId));
  }

  private stopUnwanted(instanceId: string, generation: number) {
    if (this.unwanted.has(instanceId)) return;
    this.unwanted.add(instanceId);
    void (async () => {
      const current = await this.opts.driver.inspect(instanceId);
      if (current && current.generation > generation) return;
      this.log.info("stopping an unwanted instance", { instance: instanceId, generation });
      await stopAndReport(this.ctx, instanceId, generation, this.opts.unwantedGraceMs ?? 10_000);
    })()
      .catch((err) =>
        this.log.warn("stopping an unwanted instance", { instance: instanceId, error: err.message }),
      )
      .finally(() => this.unwanted.delete(instanceId));
  }
}
