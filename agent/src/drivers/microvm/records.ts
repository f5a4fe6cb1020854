// What the microvm driver keeps per instance, and where. The record is the only state: a new
// driver object (an agent restart) rebuilds everything from the records and /proc.
//
// <dataDir>/instances/<id>/      root 0711, bound as the jail's /vm (QEMU may not add files here)
//   record.json                  root 0600 (this file; QEMU cannot read it)
//   initrd                       root 0644: the base initramfs + this instance's /berth/config
//   console.log                  owned by the VMM's uid, 0600: ttyS0, appended by every run
//   qemu.log                     root 0600: the jailer's and QEMU's own stderr
//   run/                         the VMM's uid, 0700: ctl.sock (ttyS1), qmp.sock, $TMPDIR
// <dataDir>/jail                 root 0700, empty: every jail's root tmpfs is mounted over it in the
//                                jail's own mount namespace, so one empty directory serves all
// <dataDir>/rootfs, <dataDir>/initrd   caches (ext4 per image digest, base initramfs per kernel)
import { join } from "node:path";
import type { Accelerator } from "./qemu";

export type VmRecord = {
  instanceId: string;
  generation: number;
  tenantId: string;
  uid: number;
  gid: number;
  tap: string;
  endpoints: string[];
  accelerator: Accelerator;
  startedAt: string;
  /** The manifest digest the run boots (image or unikernel artifact): kept by the disk sweep until it ends. */
  image?: string;
  /** console.log's size when this run began: this run's markers come after it. */
  consoleOffset: number;
  /** QEMU (the jailer execs it) and its start time in /proc/PID/stat: absent until spawned. */
  pid?: number;
  startTime?: string;
  /** Set once berth-init said it started the workload. */
  ready?: boolean;
  /** Set once the run is over and cleaned up (tap, cgroups): stopped by stop(), or failed to start. */
  ended?: { state: "stopped" | "failed"; exitCode?: number; reason?: string; at: string };
};

export function instancePaths(dataDir: string, instanceId: string) {
  const dir = join(dataDir, "instances", instanceId);
  return {
    dir,
    record: join(dir, "record.json"),
    initrd: join(dir, "initrd"),
    console: join(dir, "console.log"),
    log: join(dir, "qemu.log"),
    run: join(dir, "run"),
    ctl: join(dir, "run", "ctl.sock"),
  };
}

export type InstancePaths = ReturnType<typeof instancePaths>;
