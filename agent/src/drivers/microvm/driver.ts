// The `microvm` isolation level: each instance a QEMU microvm (TCG or KVM) booting the guest kernel
// into berth-init, QEMU jailed by berth-jailer as the tenant's unprivileged uid in cgroups of its
// own. QEMU runs detached from the agent; everything known about a VM is its record and /proc.
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Driver, InstanceSpec, InstanceStatus, InstanceUsage } from "../../driver";
import type { ImageStore, PulledImage } from "../../images/types";
import type { Log } from "../../log";
import type { TenantNetwork } from "../../net/network";
import { readJson } from "../container/files";
import { IdRanges } from "../container/ids";
import { followLines } from "../container/logs";
import { readUsage } from "./cgroup";
import { exitCodeOf, failureOf } from "./console";
import {
  defaultGuestDir,
  defaultInitBinary,
  ensureBaseInitrd,
  ensureRootfs,
  type GuestKernel,
  guestConfigOf,
  loadGuestKernel,
} from "./guest";
import { isAlive } from "./jail";
import { type LaunchContext, launch, undo } from "./launch";
import type { Accelerator } from "./qemu";
import { instancePaths, type VmRecord } from "./records";
import { baseOf, endRecord, statusOf, waitStarted } from "./status";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
export const defaultJailer = join(repoRoot, "native/jailer/build/berth-jailer");
export const defaultQemu = "/usr/bin/qemu-system-x86_64";

export type MicrovmDriverOptions = {
  dataDir: string;
  images: ImageStore;
  network: TenantNetwork;
  accelerator: Accelerator;
  log: Log;
  /** Where current.json is (BERTH_AGENT_GUEST_DIR, default <repo>/.berth/guest). */
  guestDir?: string;
  /** The guest kernel, when the caller loaded it already (then guestKernel is known at once). */
  kernel?: GuestKernel;
  /** The directory of the per-tenant uid ranges: the container level's, so both levels share them. */
  idRangesDir?: string;
  jailer?: string;
  qemu?: string;
  initBinary?: string;
  /** How long start waits for berth-init's `started` marker. */
  startTimeoutMs?: number;
};

export class MicrovmDriver implements Driver {
  readonly levels = ["microvm"] as const;
  readonly sim = false;
  guestKernel?: string;
  private readonly dataDir: string;
  private readonly ids: IdRanges;
  private readonly locks = new Map<string, Promise<unknown>>();
  private kernel?: Promise<GuestKernel>;

  constructor(private readonly o: MicrovmDriverOptions) {
    this.dataDir = resolve(o.dataDir);
    this.ids = new IdRanges(o.idRangesDir ?? this.dataDir);
    if (o.kernel) {
      this.kernel = Promise.resolve(o.kernel);
      this.guestKernel = o.kernel.version;
    }
  }

  /** What launch and undo use; undo needs no kernel (a stop works even if the kernel is gone). */
  private ctx(kernel = ""): LaunchContext {
    return {
      network: this.o.network,
      accelerator: this.o.accelerator,
      jailer: this.o.jailer ?? defaultJailer,
      qemu: this.o.qemu ?? defaultQemu,
      jailRoot: join(this.dataDir, "jail"),
      kernel,
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

  private guest(): Promise<GuestKernel> {
    this.kernel ??= loadGuestKernel(this.o.guestDir ?? defaultGuestDir).then((k) => {
      if (!k) throw new Error("no guest kernel (current.json): run `npm run setup`");
      this.guestKernel = k.version;
      return k;
    });
    this.kernel.catch(() => (this.kernel = undefined));
    return this.kernel;
  }

  /** The image, its ext4 root disk and the base initramfs; all cached after the first time. */
  private async artifacts(spec: InstanceSpec) {
    const kernel = await this.guest();
    const image: PulledImage = await this.o.images.ensure(
      spec.image,
      spec.registryAuth ? { credentials: spec.registryAuth } : undefined,
    );
    const [rootfs, baseInitrd] = await Promise.all([
      ensureRootfs({ image, cacheDir: join(this.dataDir, "rootfs") }),
      ensureBaseInitrd({
        kernel,
        initBinary: this.o.initBinary ?? defaultInitBinary,
        cacheDir: join(this.dataDir, "initrd"),
      }),
    ]);
    // Read by the VMM's unprivileged uid through the jail's read-only bind.
    await chmod(rootfs, 0o644);
    return { kernel, image, rootfs, baseInitrd };
  }

  async prepare(spec: InstanceSpec): Promise<void> {
    await this.artifacts(spec);
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
    const old = await readJson<VmRecord>(p.record);
    if (old && !old.ended) await undo(this.ctx(), p, old, 0);
    const t0 = performance.now();
    await mkdir(join(this.dataDir, "jail"), { recursive: true, mode: 0o700 });
    await mkdir(join(this.dataDir, "instances"), { recursive: true, mode: 0o700 });
    const uid = await this.ids.forTenant(spec.tenantId);
    const { kernel, image, rootfs, baseInitrd } = await this.artifacts(spec);
    const config = await guestConfigOf(spec, image);
    const ctx = this.ctx(kernel.kernel);
    const tPrepared = performance.now();
    const record = await launch(ctx, { spec, paths: p, uid, gid: uid, rootfs, baseInitrd, config });
    const tSpawned = performance.now();
    const timeoutMs = this.o.startTimeoutMs ?? 60_000;
    const outcome = await waitStarted(record, p, Date.now() + timeoutMs);
    if (outcome === "gone") return (await this.inspect(id)) as InstanceStatus;
    if (outcome === "timeout") {
      const reason = `berth-init did not start the workload within ${Math.round(timeoutMs / 1000)} s: ${await failureOf(p.console, record.consoleOffset)}`;
      await undo(ctx, p, record, 0);
      await endRecord(p, record, { state: "failed", reason });
      return { ...baseOf(record), endpoints: [], state: "failed", reason };
    }
    const ms = (a: number, b: number) => Math.round(b - a);
    this.o.log.child({ instance: id }).info("micro-VM started", {
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
    const r = await readJson<VmRecord>(p.record);
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
      const r = await readJson<VmRecord>(p.record);
      if (!r) return { instanceId, generation: 1, state: "stopped", endpoints: [] };
      if (r.ended) return (await this.inspect(instanceId)) as InstanceStatus;
      const killed = await undo(this.ctx(), p, r, graceMs);
      // berth-init's marker when the guest shut down; a VM killed before it could is the workload
      // killed (137, as a container's SIGKILL).
      const code = (await exitCodeOf(p.console, r.consoleOffset)) ?? (killed ? 137 : undefined);
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

  /** The VMM's cgroup: CPU of every vCPU and QEMU thread, guest RAM plus QEMU's own memory. */
  async metrics(instanceId: string): Promise<InstanceUsage | null> {
    const r = await readJson<VmRecord>(this.paths(instanceId).record);
    if (!r?.pid || !r.startTime || r.ended || !(await isAlive(r.pid, r.startTime))) return null;
    return readUsage(instanceId);
  }
}
