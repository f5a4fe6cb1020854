// What every run of a jailed QEMU makes and unmakes, whatever it boots (the microvm and unikernel
// levels): the instance directory, the record, the tap on the tenant's bridge, the VMM's cgroups
// and QEMU spawned through berth-jailer; and the release of all but the record. What differs (the
// guest's files, QEMU's command line, how a guest is asked to stop) is the level's.
import { chmod, chown, mkdir, open, rm } from "node:fs/promises";
import type { InstanceSpec } from "../../driver";
import type { Reservation, TenantNetwork } from "../../net/network";
import { writeAtomic } from "../container/files";
import { createCgroups, removeCgroups } from "../microvm/cgroup";
import { consoleSize } from "../microvm/console";
import { isAlive, killIfAlive, spawnJailed, waitGone } from "../microvm/jail";
import type { Accelerator } from "../microvm/qemu";
import type { InstancePaths, VmRecord } from "../microvm/records";
import { createTap, tapName } from "../microvm/tap";

/** What launch and undo need of the driver (undo needs nothing of the guest: a stop works without it). */
export type VmContext = {
  network: TenantNetwork;
  accelerator: Accelerator;
  jailer: string;
  qemu: string;
  jailRoot: string;
};

/** The instance a start is for, its paths and the tenant's uid (the VMM runs as it). */
export type RunTarget = {
  spec: InstanceSpec;
  paths: InstancePaths;
  uid: number;
  gid: number;
  /** The manifest digest the run boots, written into its record (VmRecord.image). */
  image?: string;
};

/**
 * The instance directory as microvm/records.ts describes it (root 0711), its run directory and a
 * console for this run owned by the VMM's uid. Returns the console's size: this run's output
 * begins there.
 */
export async function prepareDir(p: InstancePaths, uid: number, gid: number): Promise<number> {
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

/**
 * The jailed QEMU of one run, after prepareDir and the level's own files: the record is written
 * before QEMU is spawned (so a crash right after leaves something stop can undo) and again with
 * QEMU's pid. On a failure every step done is undone (the level's undo, then the record goes) and
 * the error is thrown.
 */
export async function launchJailed<X extends object>(
  ctx: VmContext,
  o: RunTarget & {
    consoleOffset: number;
    /** What the level keeps in the record besides what every run keeps. */
    extra: X;
    /** The VMM cgroup's memory limit. */
    memoryBytes: number;
    /** Host files bound read-only into the jail: host path to the jail's path. */
    readOnly: Record<string, string>;
    /** QEMU's arguments, once the tenant network gave the VM its address. */
    qemuArgs: (res: Reservation, tap: string) => string[];
    undo: (r: VmRecord & X) => Promise<unknown>;
  },
): Promise<VmRecord & X> {
  const { spec, paths: p, uid, gid } = o;
  const id = spec.instanceId;
  const tap = tapName(id);
  let record: VmRecord & X = {
    instanceId: id,
    generation: spec.generation,
    tenantId: spec.tenantId,
    uid,
    gid,
    tap,
    endpoints: [],
    accelerator: ctx.accelerator,
    startedAt: new Date().toISOString(),
    consoleOffset: o.consoleOffset,
    ...(o.image ? { image: o.image } : {}),
    ...o.extra,
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
    const cgroups = await createCgroups(id, { memoryBytes: o.memoryBytes, cpuMillis: spec.cpuMillis });
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
        readOnly: o.readOnly,
        qemu: ctx.qemu,
        qemuArgs: o.qemuArgs(res, tap),
      },
      p.log,
    );
    record = { ...record, pid, startTime };
    await writeAtomic(p.record, JSON.stringify(record));
    return record;
  } catch (err) {
    await o.undo(record).catch(() => {});
    await rm(p.record, { force: true });
    throw err;
  }
}

/** SIGKILL to a QEMU still running, and its end awaited. Returns whether there was one to kill. */
export async function killQemu(r: VmRecord): Promise<boolean> {
  if (!r.pid || !r.startTime || !(await isAlive(r.pid, r.startTime))) return false;
  await killIfAlive(r.pid, r.startTime);
  if (!(await waitGone(r.pid, r.startTime, 10_000))) throw new Error(`QEMU (pid ${r.pid}) did not die`);
  return true;
}

/** What a run holds on the host apart from QEMU: its address and tap, its cgroups, its run directory. */
export async function releaseRun(ctx: VmContext, p: InstancePaths, r: VmRecord): Promise<void> {
  await ctx.network.detach(r.instanceId);
  await removeCgroups(r.instanceId);
  await rm(p.run, { recursive: true, force: true });
}
