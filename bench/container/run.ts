// The container benchmark (issue 4): create → first HTTP 200 through the real container driver
// (real image store, real networking), the same bundle under a plain `runc run -d` in the same
// run, and M concurrent idle instances with their host memory. Usage: see args.ts, or
// `npm run bench:container -- --help`. Needs root and `npm run setup` (registry, runc, native/).

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireHostTools } from "../../agent/src/drivers/container/testkit";
import { HELLO, requireExampleImages } from "../../agent/src/images/testing";
import { benchRun, endStatus, loadAvgNow, machineOf, saveRun, say } from "../lib/run";
import { msStatsP99 } from "../lib/stats";
import { round } from "../placement/stats";
import { readArgs } from "./args";
import { cleanupAll } from "./cleanup";
import { type DensityResult, density } from "./density";
import { waitFor200 } from "./http";
import { helloSpec, type Kit, makeKit } from "./kit";
import { type ContainerRun, recordRun } from "./results";
import { type StartSample, sequential } from "./sequential";

const args = readArgs(process.argv.slice(2));
let kit: Kit | undefined;
// A first signal lets the current step finish (the density phase then stops what it started) and
// the run clean up and exit on its own; a second one, or 120 s without an exit, cleans up at once.
const { command, cleanup, stopping, stop, start } = benchRun({
  name: "container",
  timeoutS: args.timeoutS,
  hardAfterMs: 120_000,
  cleanup: () => (kit ? cleanupAll(kit, args, say) : Promise.resolve([])),
});

async function main(): Promise<number> {
  const t0 = performance.now();
  const loadAvgAtStart = loadAvgNow();
  say(command);
  requireHostTools();
  await requireExampleImages();
  const dataDir = await mkdtemp(join(tmpdir(), "berth-bench-ct-"));
  await chmod(dataDir, 0o711);
  kit = makeKit(dataDir, args);
  say(`data dir ${dataDir}, subnet ${args.subnet}, host ports ${args.portRange.min}-${args.portRange.max}`);
  const tp = performance.now();
  await kit.images.ensure(HELLO);
  const pullMs = round(performance.now() - tp);
  say(`pulled and unpacked ${HELLO} in ${pullMs} ms (before any timing: starts below find it stored)`);

  // A warm-up instance, kept until the end: the ruleset is installed, the tenant bridge exists, the
  // page cache holds runc, tini and the layers, as on an agent that already runs this tenant.
  const tenant = randomUUID();
  kit.tenants.add(tenant);
  const warm = helloSpec(tenant, args.cpuMillis, args.memoryMiB);
  kit.started.add(warm.instanceId);
  const ws = await kit.driver.start(warm);
  const wok = ws.endpoints[0]
    ? await waitFor200(ws.endpoints[0], {
        deadline: performance.now() + 15_000,
        pollMs: 5,
        connectTimeoutMs: 200,
      })
    : null;
  if (ws.state !== "running" || !wok)
    throw new Error(`the warm-up instance did not answer: ${JSON.stringify(ws)}`);

  say(`phase 1: ${args.instances} sequential starts, each followed by raw runc on its bundle`);
  const samples: StartSample[] = await sequential(kit, args, tenant, {
    stop: () => stop(),
    progress: say,
  });
  const driver = msStatsP99(samples.map((s) => s.ms));
  const raw = msStatsP99(samples.map((s) => s.raw.ms));
  const ratio = driver.p50Ms !== null && raw.p50Ms ? round(driver.p50Ms / raw.p50Ms, 2) : null;
  const part = (k: string) =>
    msStatsP99(samples.map((s) => (typeof s.driver[k] === "number" ? (s.driver[k] as number) : null)));
  const breakdown = {
    startToRunningMs: msStatsP99(samples.map((s) => s.startMs)),
    driverTotalMs: part("ms"),
    prepareMs: part("prepareMs"),
    imageEnsureMs: part("ensureMs"),
    launchMs: part("launchMs"),
    networkAttachMs: part("attachMs"),
    rootfsMs: part("rootfsMs"),
    runcToInitReadyMs: part("runcMs"),
    runningTo200Ms: msStatsP99(samples.map((s) => (s.ms === null ? null : s.ms - s.startMs))),
    rawRuncReturnedMs: msStatsP99(samples.map((s) => (s.raw.ms === null ? null : s.raw.runcReturnedMs))),
    stopMs: msStatsP99(samples.map((s) => s.stopMs)),
  };
  say(
    `driver start→HTTP 200: p50 ${driver.p50Ms} ms, p95 ${driver.p95Ms} ms, p99 ${driver.p99Ms} ms (n ${driver.n}); ` +
      `raw runc run→HTTP 200: p50 ${raw.p50Ms} ms (n ${raw.n}); ratio ${ratio}`,
  );

  let dens: DensityResult | null = null;
  if (args.density > 0 && !stop()) {
    say(
      `phase 2: ${args.density} concurrent idle instances over ${args.tenants} tenants, ${args.concurrency} starts in flight`,
    );
    dens = await density(kit, args, { stop: () => stop(), progress: say });
    say(
      `density: ${dens.running} running, ${dens.answeredAtEnd} answered HTTP 200 with all up; ` +
        `${dens.overheadKiBPerInstance} KiB per instance: ${JSON.stringify(dens.overheadKiB.parts)} KiB; ` +
        `cross-check, MemAvailable per instance fell ${dens.overheadKiB.memAvailableFallAtStart} KiB at the start and rose ` +
        `${dens.overheadKiB.memAvailableRiseAtStop} KiB at the stop`,
    );
  }

  const warnings = [...kit.warnings];
  const leftovers = await cleanup();
  say(
    leftovers.length
      ? `LEFTOVERS: ${leftovers.join(", ")}`
      : "cleaned up: no container, mount, netns, veth, bridge, port or cgroup left",
  );
  const status: ContainerRun["status"] = endStatus(
    stopping(),
    driver.n === args.instances && raw.n === args.instances,
  );
  const run: ContainerRun = {
    command,
    date: new Date().toISOString(),
    status,
    n: driver.n,
    p50Ms: driver.p50Ms,
    p95Ms: driver.p95Ms,
    p99Ms: driver.p99Ms,
    rawRuncP50Ms: raw.p50Ms,
    ratioToRawRunc: ratio,
    targets: {
      p50: driver.p50Ms === null ? null : driver.p50Ms <= 150,
      ratio: ratio === null ? null : ratio <= 2,
    },
    densityRequested: args.density,
    densityInstances: dens?.running ?? 0,
    densityAnswered: dens?.answeredAtEnd ?? 0,
    overheadKiBPerInstance: dens?.overheadKiBPerInstance ?? null,
    wallS: round((performance.now() - t0) / 1000),
    cleanedUp: leftovers.length === 0,
    machine: machineOf(loadAvgAtStart, {
      runc: execFileSync("/usr/sbin/runc", ["--version"], { encoding: "utf8" }).split("\n")[0],
    }),
    image: { ref: HELLO, pulledBeforeTiming: true, pullMs },
    method: {
      driver:
        "createContainerDriver with OciImageStore and createInstanceNetwork (veth, tenant bridge, nftables DNAT); time from the start() call to the first HTTP 200 on the published endpoint (127.0.0.1:HOSTPORT); one warm-up instance of the same tenant kept running",
      raw: "the driver's own config.json for the same instance (same overlay rootfs, user namespace, seccomp, limits, tini, network namespace and endpoint; only the container id and cgroup path changed), after the driver's container was killed and deleted; `runc run -d` from the spawn to the first HTTP 200, polled from the spawn",
      probe: `a TCP connect + GET / every ${args.pollMs} ms, each attempt with a ${args.connectTimeoutMs} ms timeout`,
      overhead:
        "per instance: (Σ cgroup memory − the kernel memory charged to it) + Σ shim PSS + the growth of Slab, KernelStack, PageTables and Percpu in /proc/meminfo, ÷ instances running; meminfo values the mean of 10 reads 200 ms apart. MemAvailable's fall and rise are a cross-check only (other work on the machine moves it)",
    },
    args: { ...args },
    sequential: { driver, raw, breakdown, samples },
    density: dens,
    leftovers,
    warnings: warnings.slice(0, 20),
  };
  saveRun(args.record, run, recordRun);
  say(
    `targets: p50 ${driver.p50Ms} ms ${run.targets.p50 ? "≤" : ">"} 150 ms, ratio ${ratio} ${run.targets.ratio ? "≤" : ">"} 2; ` +
      `density ${run.densityInstances}/${args.density}, overhead ${run.overheadKiBPerInstance} KiB per instance`,
  );
  say(`reproduce: ${command}`);
  return status === "completed" && leftovers.length === 0 ? 0 : 1;
}

start(main);
