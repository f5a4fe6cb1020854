// QEMU's command line for one unikernel: the micro-VM level's machine (QEMU 7.2 microvm) with
// less of everything: no initramfs, no disk, no control channel, ACPI off so QEMU writes the
// virtio-mmio slots onto the command line (the library OS reads them there), and a small guest.
import { ukCmdlineBytes, ukEnvToken } from "@berth/contracts";
import type { Accelerator } from "../microvm/qemu";

/** Inside the jail (native/jailer): the kernel blob bound read-only, the instance's directory at /vm. */
export const ukJailPaths = {
  kernel: "/guest/kernel",
  console: "/vm/console.log",
  run: "/vm/run",
} as const;

/**
 * TCG's translation cache, in MiB: a 34 KiB kernel translates to far less than the 32 MiB the
 * micro-VM level allows a Linux guest; 8 keeps QEMU's resident memory small (measured in
 * agent/src/drivers/unikernel/integration.test.ts).
 */
export const ukTbSizeMiB = 8;

/** The floor of a unikernel's RAM: the library OS, its heap and the virtio rings fit in 16 MiB. */
export const minUnikernelMiB = 16;

/**
 * The guest's RAM: what the artifact says it needs (32 MiB when it says nothing), never more than
 * the deployment's memory, which is a limit as it is for a container; at least the floor.
 */
export const ukGuestMiB = (specMiB: number, artifactMiB = 32) =>
  Math.max(minUnikernelMiB, Math.ceil(Math.min(specMiB, artifactMiB)));

/** What the VMM's cgroup allows above guest RAM: QEMU itself, TCG's cache and tables, slack. */
export const ukVmmOverheadMiB = 64;

export const ukMemoryLimitBytes = (guestMiB: number) => (guestMiB + ukVmmOverheadMiB) * 1024 * 1024;

/**
 * The artifact's command line, then the network in the library OS's (Unikraft's) syntax, then the
 * instance's env as `env.NAME="value"` tokens (native/unikernel/include/berth/env.h), which the
 * library OS parses at boot and os_getenv reads. The network goes before the env so that it is
 * the first `netdev.ip=` on the line whatever a value holds (the OS looks for it past the env
 * tokens anyway). The control plane has refused an env the line cannot carry (ukEnvProblem).
 */
export function ukCmdline(o: {
  base: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  env?: Record<string, string>;
}): string {
  const env = Object.entries(o.env ?? {}).map(([k, v]) => ukEnvToken(k, v));
  return [o.base.trim(), `netdev.ip=${o.ip}/${o.prefixLen}:${o.gateway}`, ...env].filter(Boolean).join(" ");
}

/**
 * What QEMU appends itself with -M microvm,acpi=off: ` virtio_mmio.device=512@0xfeb00e00:12`
 * for the one NIC (37 bytes), rounded up.
 */
export const ukQemuCmdlineBytes = 64;

/** The line at its longest (the widest address), as the library OS will get it, in bytes. */
export function ukCmdlineMaxBytes(base: string, env?: Record<string, string>): number {
  const widest = ukCmdline({ base, ip: "255.255.255.255", prefixLen: 32, gateway: "255.255.255.255", env });
  return Buffer.byteLength(widest) + ukQemuCmdlineBytes;
}

/** Why the line would not fit the library OS's buffer (it halts on a cut line), or null. */
export function ukCmdlineTooLong(base: string, env?: Record<string, string>): string | null {
  const bytes = ukCmdlineMaxBytes(base, env);
  return bytes < ukCmdlineBytes
    ? null
    : `the unikernel's kernel command line would take up to ${bytes} bytes (the artifact's own ${Buffer.byteLength(base.trim())}, the network, QEMU's devices and the env's tokens), over the library OS's ${ukCmdlineBytes - 1}`;
}

export function ukQemuArgs(o: {
  accelerator: Accelerator;
  memoryMiB: number;
  cmdline: string;
  tap: string;
  mac: string;
}): string[] {
  const accel =
    o.accelerator === "kvm"
      ? ["-accel", "kvm", "-cpu", "host"]
      : ["-accel", `tcg,tb-size=${ukTbSizeMiB}`, "-cpu", "max"];
  return [
    ...["-M", "microvm,x-option-roms=off,acpi=off", ...accel],
    // One vCPU: the library OS runs on one core whatever the deployment's millicores.
    ...["-m", String(o.memoryMiB), "-smp", "1"],
    ...["-nodefaults", "-nographic", "-no-reboot", "-no-user-config"],
    ...["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"],
    ...["-kernel", ukJailPaths.kernel, "-append", o.cmdline],
    // COM1: the library OS's console, appended to a file that outlives the agent.
    ...["-chardev", `file,id=con,path=${ukJailPaths.console},append=on`, "-serial", "chardev:con"],
    ...["-netdev", `tap,id=n0,ifname=${o.tap},script=no,downscript=no`],
    ...["-device", `virtio-net-device,netdev=n0,mac=${o.mac}`],
  ];
}
