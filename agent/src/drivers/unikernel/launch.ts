// One run of a unikernel, made and unmade: the instance directory, the tap, the cgroups, and QEMU
// through the micro-VM level's jailer with the kernel blob bound read-only. The record is the
// micro-VM level's (records.ts), so status, adoption and stop read it the same way.
import { chmod, chown, mkdir, open, rm } from "node:fs/promises";
import type { InstanceSpec } from "../../driver";
import type { UnikernelArtifact } from "../../images/types";
import { macFor } from "../../net/link";
import type { TenantNetwork } from "../../net/network";
import { writeAtomic } from "../container/files";
import { createCgroups, removeCgroups } from "../microvm/cgroup";
import { consoleSize } from "../microvm/console";
import { isAlive, killIfAlive, spawnJailed, waitGone } from "../microvm/jail";
import type { Accelerator } from "../microvm/qemu";
import type { InstancePaths, VmRecord } from "../microvm/records";
import { createTap, tapName } from "../microvm/tap";
import { ukCmdline, ukGuestMiB, ukJailPaths, ukMemoryLimitBytes, ukQemuArgs } from "./qemu";
import { readyOn, type UkRecord } from "./status";

export type UkContext = {
  network: TenantNetwork;
  accelerator: Accelerator;
  jailer: string;
  qemu: string;
  jailRoot: string;
};

/** The instance directory (root 0711), its run directory and console owned by the VMM's uid. */
async function prepareDir(p: InstancePaths, uid: number, gid: number): Promise<number> {
  await mkdir(p.dir, { recursive: true });
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

/** Everything a start makes; on a failure every step done is undone and the error thrown. */
export async function launch(
  ctx: UkContext,
  o: { spec: InstanceSpec; paths: InstancePaths; uid: number; gid: number; artifact: UnikernelArtifact },
): Promise<UkRecord> {
  const { spec, paths: p, uid, gid, artifact } = o;
  const id = spec.instanceId;
  const tap = tapName(id);
  const consoleOffset = await prepareDir(p, uid, gid);
  let record: UkRecord = {
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
    readyOn: readyOn(spec.ports),
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
    const memoryMiB = ukGuestMiB(spec.memoryMiB, artifact.memoryMiB);
    const cgroups = await createCgroups(id, {
      memoryBytes: ukMemoryLimitBytes(memoryMiB),
      cpuMillis: spec.cpuMillis,
    });
    const args = ukQemuArgs({
      accelerator: ctx.accelerator,
      memoryMiB,
      cmdline: ukCmdline({
        base: artifact.cmdline,
        ip: res.ip,
        prefixLen: res.prefixLen,
        gateway: res.gateway,
      }),
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
        readOnly: { [artifact.kernel]: ukJailPaths.kernel },
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

/**
 * Ends the run. A unikernel has no workload apart from itself and no control channel: SIGTERM
 * makes QEMU quit at once (the guest's state goes with it), SIGKILL after the grace if it did not.
 * Returns how QEMU went: "halted" (it was already gone), "terminated" or "killed".
 */
export async function undo(ctx: UkContext, p: InstancePaths, r: VmRecord, graceMs: number) {
  let how: "halted" | "terminated" | "killed" = "halted";
  if (r.pid && r.startTime && (await isAlive(r.pid, r.startTime))) {
    how = "terminated";
    if (graceMs > 0) {
      await killIfAlive(r.pid, r.startTime, "SIGTERM");
      await waitGone(r.pid, r.startTime, Math.min(graceMs, 10_000));
    }
    if (await isAlive(r.pid, r.startTime)) {
      how = "killed";
      await killIfAlive(r.pid, r.startTime);
      if (!(await waitGone(r.pid, r.startTime, 10_000))) throw new Error(`QEMU (pid ${r.pid}) did not die`);
    }
  }
  await ctx.network.detach(r.instanceId);
  await removeCgroups(r.instanceId);
  await rm(p.run, { recursive: true, force: true });
  return how;
}
