// Phase 1: N sequential starts of examples/hello through the driver, each timed from the start()
// call to the first HTTP 200 on its published endpoint; after each, the raw runc run of the same
// bundle (raw.ts), then the instance's stop. Interleaved, so both see the same load.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { netnsName } from "../../agent/src/net/index";
import type { BenchArgs } from "./args";
import { waitFor200 } from "./http";
import { helloSpec, type Kit } from "./kit";
import { deleteRaw, killDriverContainer, type RawResult, rawRun } from "./raw";

const run = promisify(execFile);

export type StartSample = {
  /** start() call to the first HTTP 200. */
  ms: number | null;
  /** start() call to its return (state running). */
  startMs: number;
  /** The driver's own breakdown of start(): total, to network attached, rootfs, runc to tini ready. */
  driver: Record<string, unknown>;
  attempts: number;
  raw: RawResult;
  stopMs: number;
  state: string;
  reason?: string;
};

/** What the host says about an instance that did not answer: its log, listeners, the DNAT element. */
async function diagnose(kit: Kit, id: string, endpoint: string | undefined): Promise<string> {
  const out = async (cmd: string, a: string[]) =>
    (
      await run(cmd, a).catch((e: { stdout?: string; message: string }) => ({
        stdout: e.stdout ?? e.message,
      }))
    ).stdout.trim();
  const log = await readFile(join(kit.agentDir, "instances", id, "console.log"), "utf8").catch(() => "");
  const port = endpoint?.split(":")[1] ?? "?";
  const listen = await out("ip", ["netns", "exec", netnsName(id), "ss", "-ltn"]);
  const map = (await out("nft", ["list", "map", "inet", "berth", "published"]))
    .split(/[,{}]/)
    .filter((l) => l.includes(`. ${port} :`));
  const state = await readFile(join(kit.dataDir, "net", "network.json"), "utf8").catch(() => "{}");
  const ip = (JSON.parse(state) as { instances?: Record<string, { ip?: string }> }).instances?.[id]?.ip;
  const neigh = await out("ip", ["neigh", "show", "to", ip ?? "0.0.0.0"]);
  const mac = await out("ip", ["netns", "exec", netnsName(id), "cat", "/sys/class/net/eth0/address"]);
  return `no HTTP 200 on ${endpoint} (${ip}, eth0 ${mac}, host neighbour entry ${JSON.stringify(neigh)}): console ${JSON.stringify(log.slice(-300))}; listening ${JSON.stringify(listen)}; dnat ${JSON.stringify(map)}`;
}

export async function sequential(
  kit: Kit,
  args: BenchArgs,
  tenantId: string,
  o: { stop: () => boolean; progress: (s: string) => void },
): Promise<StartSample[]> {
  const samples: StartSample[] = [];
  for (let i = 0; i < args.instances && !o.stop(); i++) {
    const spec = helloSpec(tenantId, args.cpuMillis, args.memoryMiB);
    kit.started.add(spec.instanceId);
    kit.last.ensureMs = [];
    const t0 = performance.now();
    const status = await kit.driver.start(spec);
    const startMs = performance.now() - t0;
    const endpoint = status.endpoints[0];
    const ok =
      status.state === "running" && endpoint
        ? await waitFor200(endpoint, {
            deadline: t0 + 15_000,
            pollMs: args.pollMs,
            connectTimeoutMs: args.connectTimeoutMs,
          })
        : null;
    const sample: Omit<StartSample, "raw" | "stopMs"> & { reason?: string } = {
      ms: ok ? ok.at - t0 : null,
      startMs,
      driver: {
        ...kit.breakdowns.get(spec.instanceId),
        ensureMs: Math.round(kit.last.ensureMs.reduce((a, b) => a + b, 0)),
        attachMs: Math.round(kit.last.attachMs),
      },
      attempts: ok?.attempts ?? 0,
      state: status.state,
      ...(status.reason ? { reason: status.reason } : {}),
    };
    if (!ok)
      sample.reason = `${sample.reason ?? ""} ${await diagnose(kit, spec.instanceId, endpoint)}`.trim();
    let raw: RawResult = { ms: null, runcReturnedMs: 0, attempts: 0, exitCode: null };
    if (ok && endpoint) {
      await killDriverContainer(kit.agentDir, spec.instanceId);
      raw = await rawRun({
        agentDir: kit.agentDir,
        rawDir: kit.rawDir,
        id: spec.instanceId,
        endpoint,
        pollMs: args.pollMs,
        connectTimeoutMs: args.connectTimeoutMs,
        timeoutMs: 15_000,
      });
      await deleteRaw(kit.rawDir, spec.instanceId);
    }
    const t1 = performance.now();
    await kit.driver.stop(spec.instanceId, 2000);
    const stopMs = performance.now() - t1;
    samples.push({ ...sample, raw, stopMs });
    const f = (x: number | null) => (x === null ? "–" : `${Math.round(x)} ms`);
    if (!ok) o.progress(`${i + 1}: ${sample.reason}`);
    const d = sample.driver;
    o.progress(
      `${i + 1}/${args.instances}: driver start→200 ${f(sample.ms)} (start() ${f(startMs)}; ` +
        `prepare ${d.prepareMs ?? "?"} (image ${d.ensureMs}), attach ${d.attachMs} ‖ rootfs ${d.rootfsMs ?? "?"} + files = ${d.launchMs ?? "?"}, runc ${d.runcMs ?? "?"} ms), ` +
        `raw runc run→200 ${f(raw.ms)}, stop ${f(stopMs)}`,
    );
  }
  return samples;
}
