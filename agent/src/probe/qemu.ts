import { versionLine } from "./exec";

/** QEMU for micro-VMs and unikernels: `qemu-system-x86_64 --version`'s first line, or null. */
export function probeQemu(opts: { timeoutMs: number; binary?: string }): Promise<string | null> {
  return versionLine(opts.binary ?? "qemu-system-x86_64", opts.timeoutMs);
}
