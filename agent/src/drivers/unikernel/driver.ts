// The `unikernel` isolation level: each instance a unikernel artifact's kernel (docs/unikernel.md)
// booted by QEMU microvm with -kernel, jailed like a micro-VM (berth-jailer, the tenant's uid,
// cgroups of its own, its tap on the tenant's bridge). No Linux, no initramfs, no disk: the
// console is the only thing the guest says, and QEMU the only thing there is to stop.
import { existsSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Driver, InstanceSpec, InstanceStatus, InstanceUsage } from "../../driver";
import type { ImageStore, RegistryCredentials, UnikernelArtifact } from "../../images/types";
import type { Log } from "../../log";
import type { TenantNetwork } from "../../net/network";
import { readJson } from "../container/files";
import { IdRanges } from "../container/ids";
import { followLines } from "../container/logs";
import { readUsage } from "../microvm/cgroup";
import { defaultJailer, defaultQemu } from "../microvm/driver";
import { isAlive } from "../microvm/jail";
import type { Accelerator } from "../microvm/qemu";
import { instancePaths } from "../microvm/records";
import { baseOf, endRecord } from "../microvm/status";
import { tailOf } from "./console";
import { launch, type UkContext, undo } from "./launch";
import { endOf, statusOf, type UkRecord, waitReady } from "./status";

/** The store's artifact pull (OciImageStore.ensureArtifact). */
export type ArtifactStore = Required<Pick<ImageStore, "ensureArtifact">>;

export type UnikernelDriverOptions = {
  dataDir: string;
  images: ArtifactStore;
  network: TenantNetwork;
  accelerator: Accelerator;
  log: Log;
  /** The per-tenant uid ranges: the container level's, so every level shares them. */
  idRangesDir?: string;
  jailer?: string;
  qemu?: string;
  /** How long start waits for the ready line (`listening`, or `booting` without ports). */
  startTimeoutMs?: number;
};

export class UnikernelDriver implements Driver {
  readonly levels = ["unikernel"] as const;
  readonly sim = false;
  private readonly dataDir: string;
  private readonly ids: IdRanges;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly o: UnikernelDriverOptions) {
    this.dataDir = resolve(o.dataDir);
    this.ids = new IdRanges(o.idRangesDir ?? this.dataDir);
  }

  private ctx(): UkContext {
    return {
      network: this.o.network,
      accelerator: this.o.accelerator,
      jailer: this.o.jailer ?? defaultJailer,
      qemu: this.o.qemu ?? defaultQemu,
      jailRoot: join(this.dataDir, "jail"),
    };
  }
  private paths(id: string) {
    return instancePaths(this.dataDir, id);
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(id) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => this.locks.get(id) === tail && this.locks.delete(id));
    return next;
  }

  /** The artifact (pulled once); an OCI container image is refused with the store's reason. */
  private artifact(spec: InstanceSpec): Promise<UnikernelArtifact> {
    const credentials: RegistryCredentials | undefined = spec.registryAuth;
    return this.o.images.ensureArtifact(spec.image, credentials ? { credentials } : undefined);
  }

  async prepare(spec: InstanceSpec): Promise<void> {
    await this.artifact(spec);
  }

  start(spec: InstanceSpec): Promise<InstanceStatus> {
    return this.serial(spec.instanceId, () => this.startLocked(spec));
  }

  private async startLocked(spec: InstanceSpec): Promise<InstanceStatus> {
    const id = spec.instanceId;
    const p = this.paths(id);
    const current = await this.inspect(id);
    if (current && current.generation === spec.generation && ["running", "starting"].includes(current.state))
      return current;
    if ((spec.volumes ?? []).length > 0) throw new Error("volumes are not supported at the unikernel level");
    const old = await readJson<UkRecord>(p.record);
    if (old && !old.ended) await undo(this.ctx(), p, old, 0);
    const t0 = performance.now();
    await mkdir(join(this.dataDir, "jail"), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dataDir, "instances"), { recursive: true, mode: 0o700 });
    const uid = await this.ids.forTenant(spec.tenantId);
    const artifact = await this.artifact(spec);
    const tPrepared = performance.now();
    const record = await launch(this.ctx(), { spec, paths: p, uid, gid: uid, artifact });
    const tSpawned = performance.now();
    const timeoutMs = this.o.startTimeoutMs ?? 30_000;
    const outcome = await waitReady(record, p, Date.now() + timeoutMs);
    if (outcome === "gone") {
      // Halted or crashed before it was ready: a failed start, cleaned up now, its end recorded.
      await undo(this.ctx(), p, record, 0);
      const end = await endOf(record, p);
      const failed = {
        state: "failed" as const,
        ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
        reason:
          end.state === "failed"
            ? end.reason
            : `the unikernel halted (code ${end.exitCode}) before it was ${record.readyOn}`,
      };
      await endRecord(p, record, failed);
      return { ...baseOf(record), endpoints: [], ...failed };
    }
    if (outcome === "timeout") {
      const reason = `the unikernel did not say it was ${record.readyOn} within ${Math.round(timeoutMs / 1000)} s: ${await tailOf(p.console, record.consoleOffset)}`;
      await undo(this.ctx(), p, record, 0);
      await endRecord(p, record, { state: "failed", reason });
      return { ...baseOf(record), endpoints: [], state: "failed", reason };
    }
    const ms = (a: number, b: number) => Math.round(b - a);
    this.o.log.child({ instance: id }).info("unikernel started", {
      ms: ms(t0, performance.now()),
      prepareMs: ms(t0, tPrepared),
      launchMs: ms(tPrepared, tSpawned),
      bootMs: ms(tSpawned, performance.now()),
      accelerator: this.o.accelerator,
    });
    return { ...baseOf(record), state: "running" };
  }

  async inspect(instanceId: string): Promise<InstanceStatus | null> {
    const p = this.paths(instanceId);
    const r = await readJson<UkRecord>(p.record);
    return r ? statusOf(r, p) : null;
  }

  async list(): Promise<InstanceStatus[]> {
    const ids = await readdir(join(this.dataDir, "instances")).catch(() => [] as string[]);
    const all = await Promise.all(ids.map((id) => this.inspect(id)));
    return all.filter((s): s is InstanceStatus => s !== null);
  }

  stop(instanceId: string, graceMs: number): Promise<InstanceStatus> {
    return this.serial(instanceId, async () => {
      const p = this.paths(instanceId);
      const r = await readJson<UkRecord>(p.record);
      if (!r) return { instanceId, generation: 1, state: "stopped", endpoints: [] };
      if (r.ended) return (await this.inspect(instanceId)) as InstanceStatus;
      const how = await undo(this.ctx(), p, r, graceMs);
      // A unikernel that halted by itself keeps its code; one ended by us is a workload killed by
      // SIGTERM (143) or, past the grace, SIGKILL (137), as a container's would be.
      const code = how === "halted" ? (await endOf(r, p)).exitCode : how === "terminated" ? 143 : 137;
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

  /** The VMM's cgroup: QEMU's CPU time (the guest's included) and memory (guest RAM touched + QEMU). */
  async metrics(instanceId: string): Promise<InstanceUsage | null> {
    const r = await readJson<UkRecord>(this.paths(instanceId).record);
    if (!r?.pid || !r.startTime || r.ended || !(await isAlive(r.pid, r.startTime))) return null;
    return readUsage(instanceId);
  }
}
