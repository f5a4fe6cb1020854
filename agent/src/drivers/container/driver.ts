// The `container` isolation level: an OCI runtime spec run by runc, one supervisor per container.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, open, readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Driver, ImagesInUse, InstanceSpec, InstanceStatus } from "../../driver";
import type { ImageStore, PulledImage } from "../../images/types";
import type { Log } from "../../log";
import type { InstanceNetwork } from "../../net/types";
import { readJson, readText, writeAtomic } from "./files";
import { cgroupsPathOf, exitReason, hostnameOf, initReady, searchableByAll, swapAccounting } from "./host";
import { IdRanges, idRangeSize } from "./ids";
import { followLines } from "./logs";
import { type ContainerMetrics, oomKilled, readMetrics } from "./metrics";
import { mountRootfs, removeWriteLayer, unmountRootfs } from "./rootfs";
import { Runc, type RuncState } from "./runc";
import { buildSpec } from "./spec";
import { resolveUser } from "./user";

/** Where volumes come from (agent/src/volumes): mounted on the host, then bound in. */
export type VolumeSource = {
  ensure(v: { volumeId: string; sizeMiB: number; uid: number; gid: number }): Promise<string>;
};

export type ContainerDriverOptions = {
  dataDir: string;
  volumes?: VolumeSource;
  images: ImageStore;
  network: InstanceNetwork;
  log: Log;
  runcPath?: string;
  tiniPath?: string;
  idmapHelper?: string;
  shimPath?: string;
  pidsLimit?: number;
  /** How long start waits for runc to report the container running. */
  startTimeoutMs?: number;
};

/** What the driver keeps of each instance, next to its bundle; the agent's restart reads it back. */
type InstanceRecord = {
  instanceId: string;
  generation: number;
  tenantId: string;
  hostIdBase: number;
  endpoints: string[];
  startedAt: string;
  /** The image's manifest digest: the disk sweep keeps its layers while the container is not stopped. */
  image?: string;
  /** Set once stop has finished: the container and its mounts are gone. */
  stopped?: { exitCode?: number; at: string };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const repoRoot = new URL("../../../../", import.meta.url).pathname;
export const defaultIdmapHelper = join(repoRoot, "native/idmap/build/berth-idmap");
export const defaultShim = join(repoRoot, "native/shim/build/berth-shim");

export class ContainerDriver implements Driver {
  readonly levels = ["container"] as const;
  readonly sim = false;
  private readonly o: Required<Omit<ContainerDriverOptions, "images" | "network" | "log" | "volumes">>;
  private readonly runc: Runc;
  private readonly ids: IdRanges;
  /** Per-instance serialization: a stop and a start of the same instance never interleave. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private traversable?: Promise<void>;

  constructor(private readonly opts: ContainerDriverOptions) {
    this.o = {
      dataDir: resolve(opts.dataDir),
      runcPath: opts.runcPath ?? "/usr/sbin/runc",
      tiniPath: opts.tiniPath ?? "/usr/bin/tini-static",
      idmapHelper: opts.idmapHelper ?? defaultIdmapHelper,
      shimPath: opts.shimPath ?? defaultShim,
      pidsLimit: opts.pidsLimit ?? 512,
      startTimeoutMs: opts.startTimeoutMs ?? 15_000,
    };
    this.runc = new Runc(this.o.runcPath, join(this.o.dataDir, "runc"));
    this.ids = new IdRanges(this.o.dataDir);
  }

  private dir(id: string) {
    return join(this.o.dataDir, "instances", id);
  }
  private paths(id: string) {
    const d = this.dir(id);
    return {
      dir: d,
      bundle: join(d, "bundle"),
      record: join(d, "record.json"),
      exit: join(d, "exit"),
      console: join(d, "console.log"),
      pid: join(d, "pid"),
    };
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  async prepare(spec: InstanceSpec): Promise<void> {
    await this.opts.images.ensure(spec.image, pullOptions(spec));
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
    // Anything left of an earlier run (exited, failed, or an older generation) goes first.
    if (current && !(await this.isStopped(id))) await this.teardown(id, 0);
    await rm(p.exit, { force: true });
    await rm(p.pid, { force: true });
    await rm(join(p.dir, "oom"), { force: true });
    await mkdir(p.bundle, { recursive: true });
    // The tenant's root must traverse to its rootfs (runc mounts it from inside the user
    // namespace): the data dir is searchable by all, each instance's dir only by its tenant's root
    // group (and host root), so neither other host users nor other tenants reach into it.
    for (const d of [this.o.dataDir, join(this.o.dataDir, "instances")]) await chmod(d, 0o711);
    this.traversable ??= searchableByAll(dirname(this.o.dataDir)).catch((err) => {
      this.traversable = undefined;
      throw err;
    });
    await this.traversable;
    const log = this.opts.log.child({ instance: id });
    const t0 = performance.now();
    const hostIdBase = await this.ids.forTenant(spec.tenantId);
    await chown(p.dir, 0, hostIdBase);
    await chmod(p.dir, 0o710);
    const image = await this.opts.images.ensure(spec.image, pullOptions(spec));
    let launched: { record: InstanceRecord; tLaunch: number; rootfsMs: number; tSpawn: number };
    try {
      launched = await this.launch(spec, hostIdBase, image);
    } catch (err) {
      // Nothing half-made stays behind: without a record, a later stop would not know to undo it.
      await rm(p.record, { force: true });
      await removeWriteLayer(p.dir).catch(() => {});
      await this.opts.network.detach(id).catch(() => {});
      throw err;
    }
    const { record, tLaunch, rootfsMs, tSpawn } = launched;
    const deadline = Date.now() + this.o.startTimeoutMs;
    // File checks rather than `runc state` (about 35 ms a call): runc writes the pid file once the
    // container exists, the supervisor the exit file when it is over; then tini must be ready.
    while (!existsSync(p.pid) && !existsSync(p.exit) && Date.now() < deadline) await sleep(2);
    const pid = Number((await readText(p.pid))?.trim());
    const ready = pid > 0 && (await initReady(pid, deadline));
    for (;;) {
      const s =
        ready && !existsSync(p.exit)
          ? { ...this.base(record), state: "running" as const }
          : await this.inspect(id);
      if (s && s.state !== "starting") {
        const ms = (a: number, b: number) => Math.round(b - a);
        const now = performance.now();
        log.debug("container started", {
          state: s.state,
          ms: ms(t0, now),
          prepareMs: ms(t0, tLaunch),
          // network attach and rootfs at once, then the spec and record files
          launchMs: ms(tLaunch, tSpawn),
          rootfsMs: Math.round(rootfsMs),
          runcMs: ms(tSpawn, now),
        });
        return s;
      }
      if (Date.now() > deadline) {
        await this.teardown(id, 0);
        return { ...this.base(record), state: "failed", reason: "runc did not start the container in time" };
      }
      await sleep(5);
    }
  }

  /** The instance's volumes, each mounted on the host (created on first use) and owned by the tenant's root. */
  private async mountVolumes(spec: InstanceSpec, hostIdBase: number) {
    const wanted = spec.volumes ?? [];
    if (wanted.length === 0) return [];
    const store = this.opts.volumes;
    if (!store) throw new Error("this host cannot mount volumes (the agent has no volume store)");
    return Promise.all(
      wanted.map(async (v) => ({
        source: await store.ensure({
          volumeId: v.volumeId,
          sizeMiB: v.sizeMiB,
          uid: hostIdBase,
          gid: hostIdBase,
        }),
        destination: v.mountPath,
        readOnly: v.readOnly,
      })),
    );
  }

  /** Network, root filesystem, bundle, record, shim: everything a start makes. */
  private async launch(spec: InstanceSpec, hostIdBase: number, image: PulledImage) {
    const id = spec.instanceId;
    const p = this.paths(id);
    // The network and the root filesystem do not depend on each other: both at once (about 20 to
    // 50 ms off a start). Both settle before a failure is thrown, so the caller's undo never races
    // a mount or a veth still being made.
    const tLaunch = performance.now();
    const [net, fs] = await Promise.allSettled([
      this.opts.network.attach({ instanceId: id, tenantId: spec.tenantId, ports: spec.ports }),
      mountRootfs({
        instanceDir: p.dir,
        layers: image.layers,
        hostIdBase,
        idCount: idRangeSize,
        idmapHelper: this.o.idmapHelper,
      }).then((path) => ({ path, ms: performance.now() - tLaunch })),
    ]);
    if (net.status === "rejected") throw net.reason;
    if (fs.status === "rejected") throw fs.reason;
    const attachment = net.value;
    const rootfs = fs.value.path;
    const rootfsMs = fs.value.ms;
    const volumes = await this.mountVolumes(spec, hostIdBase);
    const hostname = hostnameOf(spec);
    const etcFiles = { hosts: join(p.dir, "hosts"), hostname: join(p.dir, "hostname") };
    // Readable by the container's users, to whom these host-root files belong to "nobody".
    await writeAtomic(etcFiles.hostname, `${hostname}\n`, 0o644);
    await writeAtomic(
      etcFiles.hosts,
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${attachment.ip}\t${hostname}\n`,
      0o644,
    );
    const config = buildSpec({
      instanceId: id,
      hostname,
      rootfs,
      hostIdBase,
      idCount: idRangeSize,
      netnsPath: attachment.netnsPath,
      cgroupsPath: cgroupsPathOf(id),
      memoryMiB: spec.memoryMiB,
      cpuMillis: spec.cpuMillis,
      pidsLimit: this.o.pidsLimit,
      limitSwap: swapAccounting(),
      image: image.config,
      command: spec.command,
      args: spec.args,
      env: spec.env,
      user: await resolveUser(rootfs, image.config.user),
      tiniHostPath: this.o.tiniPath,
      etcFiles,
      volumes,
    });
    await writeAtomic(join(p.bundle, "config.json"), JSON.stringify(config, null, 1));
    const record: InstanceRecord = {
      instanceId: id,
      generation: spec.generation,
      tenantId: spec.tenantId,
      hostIdBase,
      endpoints: attachment.endpoints,
      startedAt: new Date().toISOString(),
      image: image.digest,
    };
    await writeAtomic(p.record, JSON.stringify(record));
    const tSpawn = performance.now();
    await this.spawnSupervisor(id);
    return { record, tLaunch, rootfsMs, tSpawn };
  }

  /**
   * The shim (native/shim) runs `runc create` and `runc start`, waits for the container as its
   * subreaper and writes the exit code. Detached in its own session, it outlives the agent, and so
   * does the container, whose stdout and stderr are the shim's: console.log, opened O_APPEND.
   */
  private async spawnSupervisor(id: string): Promise<void> {
    const p = this.paths(id);
    const fh = await open(p.console, "a", 0o640);
    try {
      const args = [this.o.runcPath, this.runc.root, p.bundle, id, p.pid, p.exit];
      const child = spawn(this.o.shimPath, args, { detached: true, stdio: ["ignore", fh.fd, fh.fd] });
      child.unref();
    } finally {
      await fh.close();
    }
  }

  private base(r: InstanceRecord) {
    return { instanceId: r.instanceId, generation: r.generation, endpoints: [...r.endpoints] };
  }

  private async exitCode(id: string): Promise<number | undefined> {
    const text = await readText(this.paths(id).exit);
    const n = text === null ? Number.NaN : Number(text.trim());
    return Number.isInteger(n) ? Math.min(255, Math.max(-1, n)) : undefined;
  }

  private async isStopped(id: string): Promise<boolean> {
    return !!(await readJson<InstanceRecord>(this.paths(id).record))?.stopped;
  }

  async inspect(instanceId: string, known?: Map<string, RuncState>): Promise<InstanceStatus | null> {
    const record = await readJson<InstanceRecord>(this.paths(instanceId).record);
    if (!record) return null;
    const base = this.base(record);
    if (record.stopped) {
      const code = record.stopped.exitCode;
      return { ...base, endpoints: [], state: "stopped", ...(code !== undefined ? { exitCode: code } : {}) };
    }
    const exitCode = await this.exitCode(instanceId);
    if (exitCode !== undefined) return this.ended(record, exitCode);
    // Missing from list()'s snapshot: it may have been created since, so ask runc again before
    // concluding that it is gone.
    const st = known
      ? (known.get(instanceId) ?? (await this.runc.state(instanceId).catch(() => null)))
      : await this.runc.state(instanceId);
    if (st?.status === "running" || st?.status === "paused") return { ...base, state: "running" };
    // Not created yet (runc writes the pid file once it has): still starting, unless that takes too long.
    if (!st && !existsSync(this.paths(instanceId).pid)) {
      if (Date.now() - Date.parse(record.startedAt) < this.o.startTimeoutMs)
        return { ...base, state: "starting" };
      return {
        ...base,
        state: "failed",
        reason: "the container and its supervisor are gone (host restart?)",
      };
    }
    if (!st || st.status === "stopped") {
      // The supervisor writes the code right after runc returns: give it a moment.
      for (let i = 0; i < 100; i++) {
        await sleep(10);
        const code = await this.exitCode(instanceId);
        if (code !== undefined) return this.ended(record, code);
      }
      return {
        ...base,
        state: "failed",
        reason: "the container and its supervisor are gone (host restart?)",
      };
    }
    return { ...base, state: "starting" };
  }

  /** The workload exited, or runc failed before it ran (then there is no pid file). */
  private async ended(record: InstanceRecord, exitCode: number): Promise<InstanceStatus> {
    const base = this.base(record);
    if (existsSync(this.paths(record.instanceId).pid)) {
      const oom = exitCode === 137 && (await this.oomKilled(record.instanceId));
      return {
        ...base,
        state: "exited",
        exitCode,
        ...(oom ? { reason: "OOMKilled" } : exitReason(exitCode)),
      };
    }
    const text = (await readText(this.paths(record.instanceId).console)) ?? "";
    const runcError = text
      .split("\n")
      .filter((l) => l.includes("level=error"))
      .pop();
    return {
      ...base,
      state: "failed",
      reason: `runc: ${runcError?.replace(/^.*msg=/, "") ?? `exit ${exitCode}`}`,
    };
  }

  /**
   * Whether the kernel's OOM killer ended the workload: the cgroup's oom_kill counter (v1
   * memory.oom_control, v2 memory.events), which lasts until `runc delete`; after that, the kernel
   * log's line naming the cgroup. The answer is kept in a file, so this runs once per instance.
   */
  private async oomKilled(id: string): Promise<boolean> {
    const file = join(this.dir(id), "oom");
    const known = await readText(file);
    if (known !== null) return known.trim() === "yes";
    const oom = await oomKilled(cgroupsPathOf(id));
    await writeAtomic(file, oom ? "yes" : "no");
    return oom;
  }

  /** cgroup usage for heartbeats (Driver.metrics); null when not running. */
  async metrics(instanceId: string): Promise<ContainerMetrics | null> {
    return readMetrics(cgroupsPathOf(instanceId));
  }

  async list(): Promise<InstanceStatus[]> {
    let ids: string[];
    try {
      ids = await readdir(join(this.o.dataDir, "instances"));
    } catch {
      return [];
    }
    // `runc list` fails when a container is deleted while it reads the root (a stop at the same
    // time): then each instance asks `runc state` on its own, rather than all looking gone.
    const listed = await this.runc.list().catch(() => null);
    const known = listed ? new Map(listed.map((s) => [s.id, s])) : undefined;
    const all = await Promise.all(ids.map((id) => this.inspect(id, known)));
    return all.filter((s): s is InstanceStatus => s !== null);
  }

  /** Every container not stopped keeps its image: exited and failed ones still have their overlay. */
  async imagesInUse(): Promise<ImagesInUse> {
    const ids = await readdir(join(this.o.dataDir, "instances")).catch(() => [] as string[]);
    const used: ImagesInUse = { digests: [], unknown: [] };
    for (const id of ids) {
      const r = await readJson<InstanceRecord>(this.paths(id).record);
      if (!r || r.stopped) continue;
      if (r.image) used.digests.push(r.image);
      else used.unknown.push(id);
    }
    return used;
  }

  stop(instanceId: string, graceMs: number): Promise<InstanceStatus> {
    return this.serial(instanceId, async () => {
      const record = await readJson<InstanceRecord>(this.paths(instanceId).record);
      if (!record) return { instanceId, generation: 1, state: "stopped", endpoints: [] };
      if (record.stopped) return (await this.inspect(instanceId)) as InstanceStatus;
      const exitCode = await this.teardown(instanceId, graceMs);
      const stopped = { ...(exitCode !== undefined ? { exitCode } : {}), at: new Date().toISOString() };
      await writeAtomic(this.paths(instanceId).record, JSON.stringify({ ...record, stopped }));
      return {
        ...this.base(record),
        endpoints: [],
        state: "stopped",
        ...(exitCode !== undefined ? { exitCode } : {}),
      };
    });
  }

  /** SIGTERM, up to graceMs, SIGKILL; then the container, its mounts and its network go. */
  private async teardown(id: string, graceMs: number): Promise<number | undefined> {
    // Until the exit file appears; runc is asked now and then too, so that a container whose shim
    // was killed (no exit file will come) does not hold the stop for the whole wait.
    const waitExit = async (ms: number) => {
      let until = Date.now() + ms;
      let gone = false;
      for (let i = 1; ; i++) {
        const code = await this.exitCode(id);
        if (code !== undefined) return code;
        if (Date.now() >= until) return undefined;
        if (!gone && i % 10 === 0) {
          const now = await this.runc.state(id).catch(() => null);
          // Ended: a live shim writes the code within milliseconds.
          if (!now || now.status === "stopped") [gone, until] = [true, Math.min(until, Date.now() + 500)];
        }
        await sleep(20);
      }
    };
    let code = await this.exitCode(id);
    const st = await this.runc.state(id);
    if (code === undefined && st && st.status !== "stopped") {
      if (graceMs > 0) {
        // A SIGTERM that reaches tini before it blocks its signals is dropped (PID 1 of a namespace).
        await initReady(st.pid, Date.now() + Math.min(graceMs, 1000));
        await this.runc.kill(id, "TERM");
        code = await waitExit(graceMs);
      }
      if (code === undefined) {
        await this.runc.kill(id, "KILL");
        code = await waitExit(10_000);
      }
    } else if (code === undefined && st) {
      code = await waitExit(1_000);
    }
    await this.runc.delete(id);
    await unmountRootfs(this.dir(id));
    await removeWriteLayer(this.dir(id));
    await this.opts.network.detach(id);
    return code;
  }

  async *logs(instanceId: string, opts: { follow: boolean; since?: Date }): AsyncIterable<string> {
    const p = this.paths(instanceId);
    if (!existsSync(p.console)) return;
    const running = async () => {
      const s = await this.inspect(instanceId);
      return !!s && (s.state === "running" || s.state === "starting");
    };
    yield* followLines(p.console, { follow: opts.follow, alive: running });
  }
}

/** The tenant's registry credentials travel with the spec; the image store keeps them off argv. */
function pullOptions(spec: InstanceSpec) {
  return spec.registryAuth ? { credentials: spec.registryAuth } : undefined;
}
