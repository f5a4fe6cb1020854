// Phase 1: N sequential starts of hello-unikernel through the unikernel driver, each timed from
// the start() call to the first HTTP 200 on its published endpoint, then stopped before the next.
import { waitFor200 } from "../container/http";
import type { BenchArgs } from "./args";
import { consoleTail, helloSpec, type Kit } from "./kit";

export type StartSample = {
  /** start() call to the first HTTP 200. */
  ms: number | null;
  /** start() call to its return (the console's `listening` line seen). */
  startMs: number;
  /** The driver's "unikernel started" fields: ms, prepareMs, launchMs (tap, cgroups, jailer spawn), bootMs. */
  driver: Record<string, unknown>;
  attempts: number;
  stopMs: number;
  state: string;
  reason?: string;
};

export async function sequential(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<StartSample[]> {
  const samples: StartSample[] = [];
  for (let i = 0; i < args.instances && !o.stop(); i++) {
    const spec = helloSpec(tenantId, args);
    kit.started.add(spec.instanceId);
    const t0 = performance.now();
    const status = await kit.driver.start(spec);
    const startMs = performance.now() - t0;
    const endpoint = status.endpoints[0];
    const ok =
      status.state === "running" && endpoint
        ? await waitFor200(endpoint, {
            deadline: t0 + args.bootTimeoutS * 1000,
            pollMs: args.pollMs,
            connectTimeoutMs: args.connectTimeoutMs,
          })
        : null;
    let reason = status.reason;
    if (!ok) {
      const tail = await consoleTail(kit, spec.instanceId);
      reason =
        `${reason ?? ""} ${status.state}, no HTTP 200 on ${endpoint}: console ${JSON.stringify(tail)}`.trim();
    }
    const t1 = performance.now();
    await kit.driver.stop(spec.instanceId, 1000);
    const stopMs = performance.now() - t1;
    const sample: StartSample = {
      ms: ok ? ok.at - t0 : null,
      startMs,
      driver: { ...kit.breakdowns.get(spec.instanceId) },
      attempts: ok?.attempts ?? 0,
      stopMs,
      state: status.state,
      ...(reason ? { reason } : {}),
    };
    samples.push(sample);
    const f = (x: number | null | undefined) => (x == null ? "–" : `${Math.round(x)} ms`);
    if (!ok) o.progress(`${i + 1}: ${reason}`);
    const d = sample.driver;
    o.progress(
      `${i + 1}/${args.instances}: start→200 ${f(sample.ms)} (start() ${f(startMs)}: prepare ${d.prepareMs ?? "?"}, ` +
        `launch ${d.launchMs ?? "?"}, boot to listening ${d.bootMs ?? "?"} ms; ${sample.attempts} probes), stop ${f(stopMs)}`,
    );
  }
  return samples;
}
