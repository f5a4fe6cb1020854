// One run of a micro-VM, made and unmade: the instance directory, initramfs, tap, cgroups, and QEMU
// spawned through the jailer; and the undo, which leaves nothing of a run behind but its record.

import { chmod, chown, mkdir, open, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import type { InstanceSpec } from "../../driver";
import { macFor } from "../../net/link";
import type { TenantNetwork } from "../../net/network";
import { writeAtomic } from "../container/files";
import { createCgroups, removeCgroups } from "./cgroup";
import { consoleSize, scanStarted } from "./console";
import { type GuestConfig, kernelCmdline, writeInstanceInitrd } from "./guest";
import { isAlive, killIfAlive, spawnJailed, waitGone } from "./jail";
import { type Accelerator, jailPaths, memoryLimitBytes, qemuArgs, vcpusOf } from "./qemu";
import type { InstancePaths, VmRecord } from "./records";
import { createTap, tapName } from "./tap";

export type LaunchContext = {
  network: TenantNetwork;
  accelerator: Accelerator;
  jailer: string;
  qemu: string;
  jailRoot: string;
  kernel: string;
};

/** The instance directory as records.ts describes it, with a fresh console for this run. */
async function prepareDir(p: InstancePaths, uid: number, gid: number): Promise<number> {
  await mkdir(p.run, { recursive: true });
  await chown(p.dir, 0, 0);
  await chmod(p.dir, 0o711);
  await rm(p.run, { recursive: true, force: true });
  await mkdir(p.run, { mode: 0o700 });
  await chown(p.run, uid, gid);
  const fh = await open(p.console, "a", 0o600);
  await fh.close();
  await chown(p.console, uid, gid);
  await chmod(p.console, 0o600);
  return consoleSize(p.console);
}

/**
 * Everything a start makes, in order; the record is written before QEMU is spawned (so a crash
 * right after leaves something stop can undo) and again with QEMU's pid. On a failure every step
 * done is undone and the error is thrown.
 */
export async function launch(
  ctx: LaunchContext,
  o: {
    spec: InstanceSpec;
    paths: InstancePaths;
    uid: number;
    gid: number;
    rootfs: string;
    baseInitrd: string;
    config: GuestConfig;
  },
): Promise<VmRecord> {
  const { spec, paths: p, uid, gid } = o;
  const id = spec.instanceId;
  const tap = tapName(id);
  const consoleOffset = await prepareDir(p, uid, gid);
  await writeInstanceInitrd({ base: o.baseInitrd, config: o.config, out: p.initrd });
  await chmod(p.initrd, 0o644);
  let record: VmRecord = {
    instanceId: id,
    generation: spec.generation,
    tenantId: spec.tenantId,
    uid,
    gid,
    tap,
    endpoints: [],
    accelerator: ctx.accelerator,
    startedAt: new Date().toISOString(),
    consoleOffset,
  };
  await writeAtomic(p.record, JSON.stringify(record));
  try {
    const res = await ctx.network.reserve({
      instanceId: id,
      tenantId: spec.tenantId,
      ports: spec.ports,
      hostIf: tap,
    });
    record = { ...record, endpoints: res.endpoints };
    await createTap({ name: tap, uid, gid, bridge: res.bridge });
    const cgroups = await createCgroups(id, {
      memoryBytes: memoryLimitBytes(spec.memoryMiB),
      cpuMillis: spec.cpuMillis,
    });
    const args = qemuArgs({
      accelerator: ctx.accelerator,
      memoryMiB: spec.memoryMiB,
      vcpus: vcpusOf(spec.cpuMillis),
      cmdline: kernelCmdline({ ip: res.ip, prefixLen: res.prefixLen, gateway: res.gateway }),
      tap,
      mac: macFor(`${res.ip}/${res.prefixLen}`),
    });
    const { pid, startTime } = await spawnJailed(
      {
        jailer: ctx.jailer,
        root: ctx.jailRoot,
        vm: p.dir,
        uid,
        gid,
        cgroups,
        devices: [
          "/dev/net/tun",
          "/dev/null",
          "/dev/zero",
          "/dev/urandom",
          ...(ctx.accelerator === "kvm" ? ["/dev/kvm"] : []),
        ],
        readOnly: { [ctx.kernel]: jailPaths.kernel, [o.rootfs]: jailPaths.rootfs },
        qemu: ctx.qemu,
        qemuArgs: args,
      },
      p.log,
    );
    record = { ...record, pid, startTime };
    await writeAtomic(p.record, JSON.stringify(record));
    return record;
  } catch (err) {
    await undo(ctx, p, record, 0).catch(() => {});
    await rm(p.record, { force: true });
    throw err;
  }
}

/** One line to berth-init's control channel (ttyS1); resolves once written or on any error. */
export function sendControl(socket: string, line: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = createConnection(socket);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    conn.once("error", () => done(false));
    conn.once("connect", () => conn.end(`${line}\n`, () => done(true)));
  });
}

/**
 * Ends the run: `stop` on the control channel and up to graceMs for the guest to power off (QEMU
 * exits with it), then SIGKILL; then the tap, the cgroups and the run's files go. Returns whether
 * QEMU had to be killed. A guest still booting gets no grace: there is no workload to be graceful
 * to yet, and berth-init would not hear the line before it opens ttyS1.
 */
export async function undo(
  ctx: LaunchContext,
  p: InstancePaths,
  r: VmRecord,
  graceMs: number,
): Promise<boolean> {
  let killed = false;
  if (r.pid && r.startTime && (await isAlive(r.pid, r.startTime))) {
    const started = r.ready || (await scanStarted(p.console, r.consoleOffset, r.consoleOffset)).found;
    if (graceMs > 0 && started && (await sendControl(p.ctl, "stop")))
      await waitGone(r.pid, r.startTime, graceMs);
    if (await isAlive(r.pid, r.startTime)) {
      killed = true;
      await killIfAlive(r.pid, r.startTime);
      if (!(await waitGone(r.pid, r.startTime, 10_000))) throw new Error(`QEMU (pid ${r.pid}) did not die`);
    }
  }
  await ctx.network.detach(r.instanceId);
  await removeCgroups(r.instanceId);
  await rm(p.run, { recursive: true, force: true });
  await rm(p.initrd, { force: true });
  return killed;
}
