// Phase 1: N sequential starts of examples/hello through the microvm driver, each timed from the
// start() call to the first HTTP 200 on its published endpoint, then stopped; after each, a raw
// QEMU boot of the same VM (raw.ts). Interleaved, so both see the same load.
import { guestConfigOf } from "../../agent/src/drivers/microvm/guest";
import { guestMemoryMiB } from "../../agent/src/drivers/microvm/qemu";
import type { PulledImage } from "../../agent/src/images/types";
import { fmtMs, readConsoleTail, sampleOf, sleep, timedStart, type VmStartSample } from "../lib/vm";
import type { BenchArgs } from "./args";
import { helloSpec, type Kit } from "./kit";
import { type QemuMemory, qemuMemory } from "./memory";
import { type RawResult, rawBoot } from "./raw";

export type Artifacts = { image: PulledImage; rootfs: string; baseInitrd: string };

/** startMs: to berth-init's `started` marker seen; driver: the "micro-VM started" fields (launchMs: initrd, tap, cgroups, jailer spawn). */
export type StartSample = VmStartSample<{ raw: RawResult }>;

export async function sequential(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  art: Artifacts,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<{ samples: StartSample[]; rawIdle: QemuMemory | null }> {
  const samples: StartSample[] = [];
  let rawIdle: QemuMemory | null = null;
  const timeoutMs = args.bootTimeoutS * 1000;
  for (let i = 0; i < args.instances && !o.stop(); i++) {
    const spec = helloSpec(tenantId, args);
    const r = await timedStart(kit, spec, args, {
      graceMs: 2000,
      consoleTail: (id) => readConsoleTail(kit.vmDir, id),
    });
    // The same VM, raw. The last one is held idle for the settle time and its memory read: the
    // reference for the driver's idle VMs (same guest, no jail or cgroup).
    const last = i === args.instances - 1 && args.settleS > 0;
    const raw = await rawBoot({
      kit,
      n: i,
      ...art,
      config: await guestConfigOf(spec, art.image),
      memoryMiB: args.memoryMiB,
      cpuMillis: args.cpuMillis,
      pollMs: args.pollMs,
      connectTimeoutMs: args.connectTimeoutMs,
      timeoutMs,
      ...(last
        ? {
            hold: async (pid: number) => {
              await sleep(args.settleS * 1000);
              rawIdle = await qemuMemory(pid, guestMemoryMiB(args.memoryMiB));
            },
          }
        : {}),
    });
    const sample: StartSample = sampleOf(kit, spec.instanceId, r, { raw });
    samples.push(sample);
    if (!r.ok) o.progress(`${i + 1}: ${r.reason}`);
    if (raw.error) o.progress(`${i + 1}: raw: ${raw.error}`);
    const d = sample.driver;
    o.progress(
      `${i + 1}/${args.instances}: driver start→200 ${fmtMs(sample.ms)} (start() ${fmtMs(r.startMs)}: prepare ${d.prepareMs ?? "?"}, ` +
        `launch ${d.launchMs ?? "?"}, boot to berth-init started ${d.bootMs ?? "?"} ms), raw QEMU spawn→200 ${fmtMs(raw.ms)}, stop ${fmtMs(r.stopMs)}`,
    );
  }
  return { samples, rawIdle };
}
