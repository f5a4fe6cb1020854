// Phase 1: N sequential starts of hello-unikernel through the unikernel driver, each timed from
// the start() call to the first HTTP 200 on its published endpoint, then stopped before the next.
import { fmtMs, sampleOf, timedStart, type VmStartSample } from "../lib/vm";
import type { BenchArgs } from "./args";
import { consoleTail, helloSpec, type Kit } from "./kit";

/** startMs: to the console's `listening` line seen; driver: the "unikernel started" fields (launchMs: tap, cgroups, jailer spawn). */
export type StartSample = VmStartSample;

export async function sequential(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<StartSample[]> {
  const samples: StartSample[] = [];
  for (let i = 0; i < args.instances && !o.stop(); i++) {
    const spec = helloSpec(tenantId, args);
    const r = await timedStart(kit, spec, args, {
      graceMs: 1000,
      consoleTail: (id) => consoleTail(kit, id),
    });
    const sample: StartSample = sampleOf(kit, spec.instanceId, r, {});
    samples.push(sample);
    if (!r.ok) o.progress(`${i + 1}: ${r.reason}`);
    const d = sample.driver;
    o.progress(
      `${i + 1}/${args.instances}: start→200 ${fmtMs(sample.ms)} (start() ${fmtMs(r.startMs)}: prepare ${d.prepareMs ?? "?"}, ` +
        `launch ${d.launchMs ?? "?"}, boot to listening ${d.bootMs ?? "?"} ms; ${sample.attempts} probes), stop ${fmtMs(r.stopMs)}`,
    );
  }
  return samples;
}
