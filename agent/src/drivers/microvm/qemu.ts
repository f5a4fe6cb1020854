// QEMU's command line for one micro-VM, and the sizes the driver derives from the spec. Every path
// is the jail's view (native/jailer): the kernel and the rootfs bound read-only under /guest, the
// instance's directory at /vm.

export type Accelerator = "kvm" | "tcg";

/** Inside the jail. */
export const jailPaths = {
  kernel: "/guest/vmlinuz",
  rootfs: "/guest/rootfs.ext4",
  vm: "/vm",
  initrd: "/vm/initrd",
  console: "/vm/console.log",
  /** QEMU's own directory: the sockets and $TMPDIR (the snapshot overlay of the root disk). */
  run: "/vm/run",
  ctl: "/vm/run/ctl.sock",
  qmp: "/vm/run/qmp.sock",
} as const;

/**
 * TCG's translation cache, in MiB. QEMU 7.2 reserves 1 GiB by default and a guest's boot touches
 * about 47 MiB of it; capped at 32 the cache is flushed and refilled when full. Measured on the
 * hello VM (128 MiB guest, 2 cores, TCG): QEMU's RSS about 230 MiB with 64 or more, about 213 with
 * 32, about 194 with 16; boot to the first HTTP answer 4.7 to 6 s in all three.
 */
export const tbSizeMiB = 32;

/**
 * What the VMM's cgroup allows above the guest's RAM: the translation cache (32 MiB), TCG's hash
 * tables and QEMU's heap (about 20 MiB), its binary and libraries (about 10 MiB), the page cache of
 * the root disk's snapshot overlay and slack. RSS above guest RAM measured about 85 MiB idle.
 */
export const vmmOverheadMiB = 128;

/**
 * The guest's RAM: what the deployment asked for, but at least what the guest kernel needs to
 * unpack its initramfs and run (it reserves about 45 MiB of a 128 MiB guest for itself).
 */
export const minGuestMiB = 96; // the scheduler reserves the same floor (@berth/core minGuestMemoryMiB)

export const guestMemoryMiB = (memoryMiB: number) => Math.max(minGuestMiB, Math.ceil(memoryMiB));

/** One vCPU per started 1000 millicores; the cgroup's quota holds the VM to exactly cpuMillis. */
export const vcpusOf = (cpuMillis: number) => Math.max(1, Math.ceil(cpuMillis / 1000));

/** The cgroup's memory limit in bytes. */
export const memoryLimitBytes = (memoryMiB: number) =>
  (guestMemoryMiB(memoryMiB) + vmmOverheadMiB) * 1024 * 1024;

export type QemuOptions = {
  accelerator: Accelerator;
  memoryMiB: number;
  vcpus: number;
  cmdline: string;
  tap: string;
  mac: string;
};

export function qemuArgs(o: QemuOptions): string[] {
  const accel =
    o.accelerator === "kvm"
      ? ["-accel", "kvm", "-cpu", "host"]
      : ["-accel", `tcg,tb-size=${tbSizeMiB}`, "-cpu", "max"];
  return [
    // microvm: no PCI, no firmware tables beyond ACPI (kept on: the virtio-mmio devices are found
    // through it, the modules cannot read virtio_mmio.device= from the command line).
    ...["-M", "microvm,x-option-roms=off", ...accel],
    ...["-m", String(guestMemoryMiB(o.memoryMiB)), "-smp", String(o.vcpus)],
    ...["-nodefaults", "-nographic", "-no-reboot", "-no-user-config"],
    // QEMU's own seccomp filter: no execve (spawn), no setuid and friends, no scheduler or
    // resource changes, no obsolete syscalls.
    ...["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"],
    ...["-kernel", jailPaths.kernel, "-initrd", jailPaths.initrd, "-append", o.cmdline],
    // ttyS0: the kernel's console and the workload's output, appended to a file that outlives
    // the agent. ttyS1 (COM2's address; microvm itself creates only one ISA serial): berth-init's
    // control channel, `stop` and `kill` lines.
    ...["-chardev", `file,id=con,path=${jailPaths.console},append=on`, "-serial", "chardev:con"],
    ...["-chardev", `socket,id=ctl,path=${jailPaths.ctl},server=on,wait=off`],
    ...["-device", "isa-serial,chardev=ctl,iobase=0x2f8,irq=3"],
    ...["-qmp", `unix:${jailPaths.qmp},server=on,wait=off`],
    // snapshot=on: the cached image is only read; the VM's writes go to a throwaway overlay in
    // $TMPDIR (the jailer's environment says /vm/run) and vanish with the VM.
    ...["-drive", `file=${jailPaths.rootfs},format=raw,if=none,id=root,snapshot=on`],
    ...["-device", "virtio-blk-device,drive=root"],
    ...["-netdev", `tap,id=n0,ifname=${o.tap},script=no,downscript=no`],
    ...["-device", `virtio-net-device,netdev=n0,mac=${o.mac}`],
  ];
}
