import type { AgentEnv } from "../env";
import { probeAccelerator } from "./accelerator";
import { probeCapacity } from "./capacity";
import { probeCgroup } from "./cgroup";
import { probeOciRuntime } from "./oci";
import { probeQemu } from "./qemu";
import type { ProbeResult } from "./types";

export type { HostCapabilities, HostCapacityInput, ProbeResult } from "./types";

/** Runs every probe (in parallel where they are independent); never throws. */
export async function probeHost(
  env: Pick<AgentEnv, "probeTimeoutMs" | "maxInstances" | "memoryReserveMiB" | "kvmProbe">,
): Promise<ProbeResult> {
  const timeoutMs = env.probeTimeoutMs;
  const [ociRuntime, cgroup, qemu] = await Promise.all([
    probeOciRuntime({ timeoutMs }),
    probeCgroup({ timeoutMs }),
    probeQemu({ timeoutMs }),
  ]);
  const accelerator = await probeAccelerator({ qemu, kvmProbe: env.kvmProbe });
  const capacity = probeCapacity({ maxInstances: env.maxInstances, memoryReserveMiB: env.memoryReserveMiB });
  return { ociRuntime, cgroup, qemu, accelerator, capacity };
}
