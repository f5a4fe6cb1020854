// One run of a unikernel, made and unmade: the instance directory, the tap, the cgroups, and QEMU
// through the micro-VM level's jailer with the kernel blob bound read-only. The record is the
// micro-VM level's (records.ts), so status, adoption and stop read it the same way.
import type { UnikernelArtifact } from "../../images/types";
import { macFor } from "../../net/link";
import { isAlive, killIfAlive, waitGone } from "../microvm/jail";
import type { InstancePaths, VmRecord } from "../microvm/records";
import { killQemu, launchJailed, prepareDir, type RunTarget, releaseRun, type VmContext } from "../vm/launch";
import { ukCmdline, ukGuestMiB, ukJailPaths, ukMemoryLimitBytes, ukQemuArgs } from "./qemu";
import { readyOn, type UkRecord } from "./status";

/**
 * Everything a start makes (../vm/launch.ts), the kernel blob bound read-only and what the
 * instance is ready on in the record; on a failure every step done is undone and the error thrown.
 */
export async function launch(
  ctx: VmContext,
  o: RunTarget & { artifact: UnikernelArtifact },
): Promise<UkRecord> {
  const { spec, paths: p, artifact } = o;
  const memoryMiB = ukGuestMiB(spec.memoryMiB, artifact.memoryMiB);
  const consoleOffset = await prepareDir(p, o.uid, o.gid);
  return launchJailed(ctx, {
    ...o,
    consoleOffset,
    extra: { readyOn: readyOn(spec.ports) },
    memoryBytes: ukMemoryLimitBytes(memoryMiB),
    readOnly: { [artifact.kernel]: ukJailPaths.kernel },
    qemuArgs: (res, tap) =>
      ukQemuArgs({
        accelerator: ctx.accelerator,
        memoryMiB,
        cmdline: ukCmdline({
          base: artifact.cmdline,
          ip: res.ip,
          prefixLen: res.prefixLen,
          gateway: res.gateway,
          env: spec.env,
        }),
        tap,
        mac: macFor(`${res.ip}/${res.prefixLen}`),
      }),
    undo: (r) => undo(ctx, p, r, 0),
  });
}

/**
 * Ends the run. A unikernel has no workload apart from itself and no control channel: SIGTERM
 * makes QEMU quit at once (the guest's state goes with it), SIGKILL after the grace if it did not.
 * Returns how QEMU went: "halted" (it was already gone), "terminated" or "killed".
 */
export async function undo(ctx: VmContext, p: InstancePaths, r: VmRecord, graceMs: number) {
  let how: "halted" | "terminated" | "killed" = "halted";
  if (r.pid && r.startTime && (await isAlive(r.pid, r.startTime))) {
    how = "terminated";
    if (graceMs > 0) {
      await killIfAlive(r.pid, r.startTime, "SIGTERM");
      await waitGone(r.pid, r.startTime, Math.min(graceMs, 10_000));
    }
    if (await killQemu(r)) how = "killed";
  }
  await releaseRun(ctx, p, r);
  return how;
}
