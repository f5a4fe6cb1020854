import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";

export type KvmProbe = { kernel: string; initrd?: string | undefined; timeoutMs: number };

/**
 * Serial output that proves the guest kernel ran well past early boot: it reached its init, or
 * got as far as looking for a root file system (a kernel booted without an initrd), or the
 * probe initrd printed our marker. "Linux version" alone is not enough: on these hosts nested
 * KVM guests print their banner and then hang (see PLATFORM-NOTES).
 */
const bootedMarker = /Run \/init as init process|VFS: Unable to mount root fs|BERTH-PROBE-OK/;

/**
 * The accelerator micro-VMs and unikernels get: null without QEMU, "kvm" only if a guest really
 * boots under KVM within the timeout, else "tcg".
 *
 * Honest limit: the project has no guest kernel of its own yet (it comes with the microvm
 * issue). Without a configured probe kernel (BERTH_AGENT_KVM_PROBE_KERNEL) nothing can prove
 * that KVM works, so the agent reports "tcg" wherever QEMU exists, even if /dev/kvm is there;
 * that is slow but always right, while claiming "kvm" untested could place guests that hang.
 */
export async function probeAccelerator(opts: {
  qemu: string | null;
  kvmProbe?: KvmProbe | undefined;
  binary?: string;
  kvmDevice?: string;
}): Promise<"kvm" | "tcg" | null> {
  if (opts.qemu === null) return null;
  if (!opts.kvmProbe) return "tcg";
  const usable = await access(opts.kvmDevice ?? "/dev/kvm", constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!usable) return "tcg";
  return (await bootsUnderKvm(opts.binary ?? "qemu-system-x86_64", opts.kvmProbe)) ? "kvm" : "tcg";
}

function bootsUnderKvm(binary: string, probe: KvmProbe): Promise<boolean> {
  const args = [
    ...["-M", "microvm,x-option-roms=off", "-accel", "kvm", "-cpu", "host", "-m", "128"],
    ...["-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio"],
    ...["-kernel", probe.kernel, ...(probe.initrd ? ["-initrd", probe.initrd] : [])],
    ...["-append", "console=ttyS0 panic=-1 reboot=t"],
  ];
  return new Promise((resolve) => {
    let settled = false;
    let output = "";
    const child = (() => {
      try {
        return spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
      } catch {
        return null;
      }
    })();
    if (!child) return resolve(false);
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The guest has proven what it had to; a hung one must not outlive the probe either way.
      child.kill("SIGKILL");
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), probe.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      // Keep only a tail: the marker is one line, the kernel's log can be long.
      output = (output + chunk.toString("utf8")).slice(-8192);
      if (bootedMarker.test(output)) done(true);
    });
    child.stderr.resume();
    child.on("error", () => done(false));
    child.on("exit", () => done(bootedMarker.test(output)));
  });
}
