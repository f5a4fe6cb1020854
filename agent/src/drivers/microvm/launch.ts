// One run of a micro-VM, made and unmade: the instance directory, initramfs, tap, cgroups, and QEMU
// spawned through the jailer; and the undo, which leaves nothing of a run behind but its record.

import { chmod, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { macFor } from "../../net/link";
import { killQemu, launchJailed, prepareDir, type RunTarget, releaseRun, type VmContext } from "../vm/launch";
import { scanStarted } from "./console";
import { type GuestConfig, kernelCmdline, writeInstanceInitrd } from "./guest";
import { isAlive, waitGone } from "./jail";
import { jailPaths, memoryLimitBytes, qemuArgs, vcpusOf } from "./qemu";
import type { InstancePaths, VmRecord } from "./records";

export type LaunchContext = VmContext & { kernel: string };

/** What a run boots besides the kernel (ctx.kernel): the root disk, the base initramfs, berth-init's config. */
export type GuestFiles = { rootfs: string; baseInitrd: string; config: GuestConfig };

/**
 * Everything a start makes, in order (../vm/launch.ts): the instance directory, this run's
 * initramfs (the base one and the instance's /berth/config), then the record, tap, cgroups and
 * QEMU with the kernel and the root disk bound read-only. On a failure every step done is undone
 * and the error is thrown.
 */
export async function launch(ctx: LaunchContext, o: RunTarget & GuestFiles): Promise<VmRecord> {
  const { spec, paths: p } = o;
  const consoleOffset = await prepareDir(p, o.uid, o.gid);
  await writeInstanceInitrd({ base: o.baseInitrd, config: o.config, out: p.initrd });
  await chmod(p.initrd, 0o644);
  return launchJailed(ctx, {
    ...o,
    consoleOffset,
    extra: {},
    memoryBytes: memoryLimitBytes(spec.memoryMiB),
    readOnly: { [ctx.kernel]: jailPaths.kernel, [o.rootfs]: jailPaths.rootfs },
    qemuArgs: (res, tap) =>
      qemuArgs({
        accelerator: ctx.accelerator,
        memoryMiB: spec.memoryMiB,
        vcpus: vcpusOf(spec.cpuMillis),
        cmdline: kernelCmdline({ ip: res.ip, prefixLen: res.prefixLen, gateway: res.gateway }),
        tap,
        mac: macFor(`${res.ip}/${res.prefixLen}`),
      }),
    undo: (r) => undo(ctx, p, r, 0),
  });
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
export async function undo(ctx: VmContext, p: InstancePaths, r: VmRecord, graceMs: number): Promise<boolean> {
  let killed = false;
  if (r.pid && r.startTime && (await isAlive(r.pid, r.startTime))) {
    const started = r.ready || (await scanStarted(p.console, r.consoleOffset, r.consoleOffset)).found;
    if (graceMs > 0 && started && (await sendControl(p.ctl, "stop")))
      await waitGone(r.pid, r.startTime, graceMs);
    killed = await killQemu(r);
  }
  await releaseRun(ctx, p, r);
  await rm(p.initrd, { force: true });
  return killed;
}
