// The unikernel benchmark: the artifact's kernel size, create → first HTTP 200 through the real
// unikernel driver (real image store, tenant network, jailer, cgroups) against the micro-VM
// level's p50, and K idle instances' host memory. Usage: see args.ts, or
// `npm run bench:unikernel -- --help`. Needs root, `npm run setup` and `npm run unikernel:build`.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, stat } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { requireNetAndImageTools } from "../../agent/src/drivers/container/probekit";
import { defaultJailer, defaultQemu } from "../../agent/src/drivers/microvm/driver";
import { ukGuestMiB } from "../../agent/src/drivers/unikernel/qemu";
import { HELLO_UNIKERNEL, requireUnikernelImages } from "../../agent/src/images/artifact-testing";
import { benchRun, loadAvgNow, machineOf, say } from "../lib/run";
import { round } from "../placement/stats";
import { readArgs } from "./args";
import { cleanupAll } from "./cleanup";
import { type IdleResult, idle } from "./idle";
import { helloSpec, type Kit, makeKit, pickAccelerator } from "./kit";
import { record } from "./record";
import { sequential } from "./sequential";

const args = readArgs(process.argv.slice(2));
let kit: Kit | undefined;
const tenants: string[] = [];
// A first signal lets the current step finish (a start is well under a second) and the run clean
// up and exit on its own; a second one, or 60 s without an exit, cleans up at once.
const { command, cleanup, stopping, stop, start } = benchRun({
  name: "unikernel",
  timeoutS: args.timeoutS,
  hardAfterMs: 60_000,
  cleanup: () => (kit ? cleanupAll(kit, args, tenants, say) : Promise.resolve([])),
});

function requireTools() {
  if (process.getuid?.() !== 0) throw new Error("run as root (taps, cgroups, the jailer)");
  requireNetAndImageTools();
  const missing = [
    [defaultQemu, "apt-get install qemu-system-x86 (npm run setup)"],
    [defaultJailer, "make -C native"],
  ].filter(([p]) => !existsSync(p as string));
  if (missing.length) throw new Error(`missing: ${missing.map(([p, fix]) => `${p} (${fix})`).join(", ")}`);
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const loadAvgAtStart = loadAvgNow();
  say(`${command} (load ${loadAvgAtStart.join(" ")} on ${cpus().length} cores)`);
  requireTools();
  await requireUnikernelImages();
  const accelerator = await pickAccelerator(args.accelerator);
  const dataDir = await mkdtemp(join(tmpdir(), "berth-bench-uk-"));
  await chmod(dataDir, 0o711);
  kit = makeKit(dataDir, args, accelerator);
  say(
    `data dir ${dataDir}, accelerator ${accelerator}, subnet ${args.subnet}, host ports ${args.portRange.min}-${args.portRange.max}`,
  );
  const tenant = randomUUID();
  tenants.push(tenant);
  // Before any timing: the artifact pulled (driver.prepare, what the agent does before a start).
  const tp = performance.now();
  await kit.driver.prepare(helloSpec(tenant, args));
  const prepareMs = round(performance.now() - tp);
  const artifact = await kit.images.ensureArtifact(HELLO_UNIKERNEL);
  const image = {
    kiB: round((await stat(artifact.kernel)).size / 1024),
    digest: artifact.digest,
    guestMiB: ukGuestMiB(args.memoryMiB, artifact.memoryMiB),
    prepareMs,
  };
  say(
    `pulled ${HELLO_UNIKERNEL} in ${prepareMs} ms: kernel layer ${image.kiB} KiB, guest RAM ${image.guestMiB} MiB`,
  );
  // The tenant's bridge and the ruleset stay up throughout (a reservation with no link), as on an
  // agent that already runs this tenant; one warm-up start fills the page cache, not counted.
  await kit.network.reserve({ instanceId: `bench-warm-${tenant}`, tenantId: tenant, ports: [] });
  await sequential(kit, { ...args, instances: 1 }, tenant, {
    stop: () => stop(),
    progress: (s) => say(`warm-up ${s}`),
  });

  say(`phase 1: ${args.instances} sequential driver starts, each to its first HTTP 200`);
  const samples = await sequential(kit, args, tenant, { stop: () => stop(), progress: say });

  let idleResult: IdleResult | null = null;
  if (args.idle > 0 && !stop()) {
    say(`phase 2: ${args.idle} idle unikernels at once, memory read after ${args.settleS} s idle`);
    idleResult = await idle(kit, args, tenant, artifact.memoryMiB, { stop: () => stop(), progress: say });
  }
  const leftovers = await cleanup();
  say(
    leftovers.length
      ? `LEFTOVERS: ${leftovers.join(", ")}`
      : "cleaned up: no QEMU, tap, cgroup, attachment, bridge or published port left",
  );
  return record({
    args,
    command,
    stopping: stopping(),
    kit,
    image,
    samples,
    idle: idleResult,
    leftovers,
    wallS: round((performance.now() - t0) / 1000),
    machine: machineOf(loadAvgAtStart),
    say,
  });
}

start(main);
