// What the two levels that run a jailed QEMU per instance (microvm, unikernel) share: the driver's
// skeleton. Starts and stops are serialised per instance; a start undoes what is left of an earlier
// run, launches, waits for the level's ready marker and logs how long each part took; status, list,
// logs and metrics come from the record, /proc, the console and the VMM's cgroup, so a new driver
// object (an agent restart) adopts running VMs from the records alone. A level (MicrovmDriver,
// UnikernelDriver) supplies what it boots, how a start fails and how a stop ends its guest.

import { existsSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { IsolationLevel } from "@berth/contracts";
import type { Driver, ImagesInUse, InstanceSpec, InstanceStatus, InstanceUsage } from "../../driver";
import type { Log } from "../../log";
import type { TenantNetwork } from "../../net/network";
import { readJson } from "../container/files";
import { IdRanges } from "../container/ids";
import { followLines } from "../container/logs";
import { readUsage } from "../microvm/cgroup";
import { isAlive } from "../microvm/jail";
import type { Accelerator } from "../microvm/qemu";
import { type InstancePaths, instancePaths, type VmRecord } from "../microvm/records";
import type { RunTarget, VmContext } from "./launch";
import { baseOf, endRecord } from "./status";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
export const defaultJailer = join(repoRoot, "native/jailer/build/berth-jailer");
export const defaultQemu = "/usr/bin/qemu-system-x86_64";

/** The options of every QEMU level. */
export type QemuDriverOptions = {
  dataDir: string;
  network: TenantNetwork;
  accelerator: Accelerator;
  log: Log;
  /** The directory of the per-tenant uid ranges: the container level's, so every level shares them. */
  idRangesDir?: string;
  jailer?: string;
  qemu?: string;
  /** How long start waits for the level's ready marker (the level's default when not set). */
  startTimeoutMs?: number;
};

export abstract class QemuDriver<O extends QemuDriverOptions, R extends VmRecord, Prepared>
  implements Driver
{
  abstract readonly levels: readonly IsolationLevel[];
  readonly sim = false;
  protected readonly dataDir: string;
  private readonly ids: IdRanges;
  private readonly locks = new Map<string, Promise<unknown>>();

  /** The level's name in the `… started` log line. */
  protected abstract readonly name: string;
  /** How long start waits for the ready marker unless the options say otherwise. */
  protected abstract readonly defaultStartTimeoutMs: number;

  constructor(protected readonly o: O) {
    this.dataDir = resolve(o.dataDir);
    this.ids = new IdRanges(o.idRangesDir ?? this.dataDir);
  }

  /** What launch and undo use. */
  protected ctx(): VmContext {
    return {
      network: this.o.network,
      accelerator: this.o.accelerator,
      jailer: this.o.jailer ?? defaultJailer,
      qemu: this.o.qemu ?? defaultQemu,
      jailRoot: join(this.dataDir, "jail"),
    };
  }
  protected paths(id: string) {
    return instancePaths(this.dataDir, id);
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => this.locks.get(id) === tail && this.locks.delete(id));
    return next;
  }

  abstract prepare(spec: InstanceSpec): Promise<void>;

  /**
   * The manifest digest a run boots, for its record (the disk sweep keeps it until the run ends).
   * By default the prepared thing's own `digest`, as a unikernel artifact has.
   */
  protected imageOf(prepared: Prepared): string | undefined {
    const d = (prepared as { digest?: unknown }).digest;
    return typeof d === "string" ? d : undefined;
  }

  /** Throws for a spec the level cannot run, before anything of an earlier run is undone. */
  protected refuse(_spec: InstanceSpec): void {}
  /** What a start needs before launching (pulled, built, cached): its time is the log's prepareMs. */
  protected abstract prepareRun(spec: InstanceSpec): Promise<Prepared>;
  /** The run made (the level's launch); its time is the log's launchMs. */
  protected abstract launch(t: RunTarget, prepared: Prepared): Promise<R>;
  /** Until the run is ready, its QEMU is gone or the deadline passes (the level's untilReady). */
  protected abstract waitReady(
    r: R,
    p: InstancePaths,
    deadline: number,
  ): Promise<"ready" | "gone" | "timeout">;
  /** What a start answers when QEMU went before the run was ready. */
  protected abstract gone(r: R, p: InstancePaths): Promise<InstanceStatus>;
  /** Why a run that did not get ready within `seconds` failed (read before it is undone). */
  protected abstract notReady(r: R, p: InstancePaths, seconds: number): Promise<string>;
  /** The run's status from its record (an ended one or a live one). */
  protected abstract statusOf(r: R, p: InstancePaths): Promise<InstanceStatus>;
  /** Ends the run at once, leaving nothing of it but its record (the level's undo, no grace). */
  protected abstract undoRun(p: InstancePaths, r: R): Promise<unknown>;
  /** Ends the run for stop(), graceMs for its guest to stop first; the workload's exit code if known. */
  protected abstract stopRun(p: InstancePaths, r: R, graceMs: number): Promise<number | undefined>;

  start(spec: InstanceSpec): Promise<InstanceStatus> {
    return this.serial(spec.instanceId, () => this.startLocked(spec));
  }

  private async startLocked(spec: InstanceSpec): Promise<InstanceStatus> {
    const id = spec.instanceId;
    const p = this.paths(id);
    const current = await this.inspect(id);
    if (current && current.generation === spec.generation && ["running", "starting"].includes(current.state))
      return current;
    this.refuse(spec);
    const old = await readJson<R>(p.record);
    if (old && !old.ended) await this.undoRun(p, old);
    const t0 = performance.now();
    await mkdir(join(this.dataDir, "jail"), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dataDir, "instances"), { recursive: true, mode: 0o700 });
    const uid = await this.ids.forTenant(spec.tenantId);
    const prepared = await this.prepareRun(spec);
    const tPrepared = performance.now();
    const image = this.imageOf(prepared);
    const record = await this.launch(
      { spec, paths: p, uid, gid: uid, ...(image ? { image } : {}) },
      prepared,
    );
    const tSpawned = performance.now();
    const timeoutMs = this.o.startTimeoutMs ?? this.defaultStartTimeoutMs;
    const outcome = await this.waitReady(record, p, Date.now() + timeoutMs);
    if (outcome === "gone") return this.gone(record, p);
    if (outcome === "timeout") {
      const reason = await this.notReady(record, p, Math.round(timeoutMs / 1000));
      await this.undoRun(p, record);
      return this.failed(p, record, { state: "failed", reason });
    }
    const ms = (a: number, b: number) => Math.round(b - a);
    this.o.log.child({ instance: id }).info(`${this.name} started`, {
      ms: ms(t0, performance.now()),
      prepareMs: ms(t0, tPrepared),
      launchMs: ms(tPrepared, tSpawned),
      bootMs: ms(tSpawned, performance.now()),
      accelerator: this.o.accelerator,
    });
    return { ...baseOf(record), state: "running" };
  }

  /** A start that failed, its run undone already: the end in the record, and the status. */
  protected async failed(
    p: InstancePaths,
    r: R,
    ended: { state: "failed"; exitCode?: number; reason?: string },
  ): Promise<InstanceStatus> {
    await endRecord(p, r, ended);
    return { ...baseOf(r), endpoints: [], ...ended };
  }

  async inspect(instanceId: string): Promise<InstanceStatus | null> {
    const p = this.paths(instanceId);
    const r = await readJson<R>(p.record);
    return r ? this.statusOf(r, p) : null;
  }

  async list(): Promise<InstanceStatus[]> {
    const ids = await readdir(join(this.dataDir, "instances")).catch(() => [] as string[]);
    const all = await Promise.all(ids.map((id) => this.inspect(id)));
    return all.filter((s): s is InstanceStatus => s !== null);
  }

  /** Every run not ended keeps what it boots (a VM whose QEMU exited on its own too, until stopped). */
  async imagesInUse(): Promise<ImagesInUse> {
    const ids = await readdir(join(this.dataDir, "instances")).catch(() => [] as string[]);
    const used: ImagesInUse = { digests: [], unknown: [] };
    for (const id of ids) {
      const r = await readJson<R>(this.paths(id).record);
      if (!r || r.ended) continue;
      if (r.image) used.digests.push(r.image);
      else used.unknown.push(id);
    }
    return used;
  }

  stop(instanceId: string, graceMs: number): Promise<InstanceStatus> {
    return this.serial(instanceId, async () => {
      const p = this.paths(instanceId);
      const r = await readJson<R>(p.record);
      if (!r) return { instanceId, generation: 1, state: "stopped", endpoints: [] };
      if (r.ended) return (await this.inspect(instanceId)) as InstanceStatus;
      const code = await this.stopRun(p, r, graceMs);
      await endRecord(p, r, { state: "stopped", ...(code !== undefined ? { exitCode: code } : {}) });
      return {
        ...baseOf(r),
        endpoints: [],
        state: "stopped",
        ...(code !== undefined ? { exitCode: code } : {}),
      };
    });
  }

  async *logs(instanceId: string, opts: { follow: boolean; since?: Date }): AsyncIterable<string> {
    const p = this.paths(instanceId);
    if (!existsSync(p.console)) return;
    const alive = async () => ["running", "starting"].includes((await this.inspect(instanceId))?.state ?? "");
    for await (const line of followLines(p.console, { follow: opts.follow, alive }))
      yield line.replace(/\r$/, "");
  }

  /** The VMM's cgroup: QEMU's CPU time (every vCPU and QEMU thread) and memory (guest RAM touched + QEMU). */
  async metrics(instanceId: string): Promise<InstanceUsage | null> {
    const r = await readJson<R>(this.paths(instanceId).record);
    if (!r?.pid || !r.startTime || r.ended || !(await isAlive(r.pid, r.startTime))) return null;
    return readUsage(instanceId);
  }
}
