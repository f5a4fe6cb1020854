// Phase 1: N sequential starts of examples/hello through the microvm driver, each timed from the
// start() call to the first HTTP 200 on its published endpoint, then stopped; after each, a raw
// QEMU boot of the same VM (raw.ts). Interleaved, so both see the same load.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { guestConfigOf } from "../../agent/src/drivers/microvm/guest";
import { guestMemoryMiB } from "../../agent/src/drivers/microvm/qemu";
import type { PulledImage } from "../../agent/src/images/types";
import { waitFor200 } from "../container/http";
import type { BenchArgs } from "./args";
import { helloSpec, type Kit } from "./kit";
import { type QemuMemory, qemuMemory } from "./memory";
import { type RawResult, rawBoot } from "./raw";

export type Artifacts = { image: PulledImage; rootfs: string; baseInitrd: string };

export type StartSample = {
  /** start() call to the first HTTP 200. */
  ms: number | null;
  /** start() call to its return (berth-init's `started` marker seen). */
  startMs: number;
  /** The driver's "micro-VM started" fields: ms, prepareMs, launchMs (initrd, tap, cgroups, jailer spawn), bootMs. */
  driver: Record<string, unknown>;
  attempts: number;
  raw: RawResult;
  stopMs: number;
  state: string;
  reason?: string;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    kit.started.add(spec.instanceId);
    const t0 = performance.now();
    const status = await kit.driver.start(spec);
    const startMs = performance.now() - t0;
    const endpoint = status.endpoints[0];
    const ok =
      status.state === "running" && endpoint
        ? await waitFor200(endpoint, {
            deadline: t0 + timeoutMs,
            pollMs: args.pollMs,
            connectTimeoutMs: args.connectTimeoutMs,
          })
        : null;
    let reason = status.reason;
    if (!ok) {
      const console = await readFile(join(kit.vmDir, "instances", spec.instanceId, "console.log"), "utf8")
        .then((t) => t.replaceAll("\r", "").slice(-400))
        .catch(() => "");
      reason =
        `${reason ?? ""} ${status.state}, no HTTP 200 on ${endpoint}: console ${JSON.stringify(console)}`.trim();
    }
    const t1 = performance.now();
    await kit.driver.stop(spec.instanceId, 2000);
    const stopMs = performance.now() - t1;
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
    const sample: StartSample = {
      ms: ok ? ok.at - t0 : null,
      startMs,
      driver: { ...kit.breakdowns.get(spec.instanceId) },
      attempts: ok?.attempts ?? 0,
      raw,
      stopMs,
      state: status.state,
      ...(reason ? { reason } : {}),
    };
    samples.push(sample);
    const f = (x: number | null | undefined) => (x == null ? "–" : `${Math.round(x)} ms`);
    if (!ok) o.progress(`${i + 1}: ${reason}`);
    if (raw.error) o.progress(`${i + 1}: raw: ${raw.error}`);
    const d = sample.driver;
    o.progress(
      `${i + 1}/${args.instances}: driver start→200 ${f(sample.ms)} (start() ${f(startMs)}: prepare ${d.prepareMs ?? "?"}, ` +
        `launch ${d.launchMs ?? "?"}, boot to berth-init started ${d.bootMs ?? "?"} ms), raw QEMU spawn→200 ${f(raw.ms)}, stop ${f(stopMs)}`,
    );
  }
  return { samples, rawIdle };
}
