import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { loadGuestKernel } from "../drivers/microvm/guest";
import type { AgentEnv } from "../env";
import { type KvmProbe, probeAccelerator } from "./accelerator";
import { probeCapacity } from "./capacity";
import { probeCgroup } from "./cgroup";
import { probeOciRuntime } from "./oci";
import { probeQemu } from "./qemu";
import type { ProbeResult } from "./types";

export type { HostCapabilities, HostCapacityInput, ProbeResult } from "./types";

/** Per boot (/run is a tmpfs): whether KVM runs a guest does not change until the host reboots. */
export const acceleratorCache = "/run/berth/accelerator.json";

const KVM_PROBE_TIMEOUT_MS = 5000;

/**
 * The KVM probe boots the operator's kernel when one is configured, else the guest kernel the
 * set-up fetched for micro-VMs (without an initrd it proves itself by looking for a root file
 * system). Its answer is cached for the boot, keyed by kernel and QEMU version: on hosts where
 * KVM hangs, every agent start would otherwise wait out the probe's timeout.
 */
export async function hostAccelerator(
  qemu: string | null,
  configured?: KvmProbe,
  cacheFile = acceleratorCache,
): Promise<"kvm" | "tcg" | null> {
  const guest = configured ? null : await loadGuestKernel();
  const kvmProbe =
    configured ?? (guest ? { kernel: guest.kernel, timeoutMs: KVM_PROBE_TIMEOUT_MS } : undefined);
  if (qemu === null || !kvmProbe) return probeAccelerator({ qemu, kvmProbe });
  const key = `${qemu} ${kvmProbe.kernel} ${kvmProbe.initrd ?? ""}`;
  const cached = await readFile(cacheFile, "utf8")
    .then((t) => JSON.parse(t) as { key?: string; accelerator?: "kvm" | "tcg" })
    .catch(() => null);
  if (cached?.key === key && cached.accelerator) return cached.accelerator;
  const found = await probeAccelerator({ qemu, kvmProbe });
  if (found)
    await mkdir(dirname(cacheFile), { recursive: true })
      .then(() => writeFile(cacheFile, JSON.stringify({ key, accelerator: found })))
      .catch(() => {});
  return found;
}

/** Runs every probe (in parallel where they are independent); never throws. */
export async function probeHost(
  env: Pick<AgentEnv, "probeTimeoutMs" | "maxInstances" | "memoryReserveMiB" | "kvmProbe">,
  opts: { acceleratorCache?: string } = {},
): Promise<ProbeResult> {
  const timeoutMs = env.probeTimeoutMs;
  const [ociRuntime, cgroup, qemu] = await Promise.all([
    probeOciRuntime({ timeoutMs }),
    probeCgroup({ timeoutMs }),
    probeQemu({ timeoutMs }),
  ]);
  const accel = await hostAccelerator(qemu, env.kvmProbe, opts.acceleratorCache);
  const capacity = probeCapacity({ maxInstances: env.maxInstances, memoryReserveMiB: env.memoryReserveMiB });
  return { ociRuntime, cgroup, qemu, accelerator: accel, capacity };
}
