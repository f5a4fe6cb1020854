// The microvm benchmark: create → first HTTP 200 through the real microvm driver (real image
// store, tenant network, jailer, cgroups), the same VM under a plain QEMU in the same run, and K
// idle VMs' host memory. Usage: see args.ts, or `npm run bench:microvm -- --help`. Needs root,
// `npm run setup` (registry with examples/hello, QEMU, guest kernel) and native/ built.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireNetAndImageTools } from "../../agent/src/drivers/container/probekit";
import { defaultJailer, defaultQemu } from "../../agent/src/drivers/microvm/driver";
import {
  defaultInitBinary,
  ensureBaseInitrd,
  ensureRootfs,
  loadGuestKernel,
} from "../../agent/src/drivers/microvm/guest";
import { HELLO, requireExampleImages } from "../../agent/src/images/testing";
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
// A first signal lets the current step finish and the run clean up and exit on its own; a second
// one, or 120 s without an exit, cleans up at once.
const { command, cleanup, stopping, stop, start } = benchRun({
  name: "microvm",
  timeoutS: args.timeoutS,
  hardAfterMs: 120_000,
  cleanup: () => (kit ? cleanupAll(kit, args, tenants, say) : Promise.resolve([])),
});

function requireMicrovmTools() {
  if (process.getuid?.() !== 0) throw new Error("run as root (taps, cgroups, the jailer)");
  requireNetAndImageTools();
  const missing = [
    [defaultQemu, "apt-get install qemu-system-x86 (npm run setup)"],
    [defaultJailer, "make -C native"],
    [defaultInitBinary, "make -C native"],
  ].filter(([p]) => !existsSync(p as string));
  if (missing.length) throw new Error(`missing: ${missing.map(([p, fix]) => `${p} (${fix})`).join(", ")}`);
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const loadAvgAtStart = loadAvgNow();
  say(command);
  requireMicrovmTools();
  await requireExampleImages();
  const kernel = await loadGuestKernel();
  if (!kernel) throw new Error("no guest kernel (.berth/guest/current.json): npm run setup");
  const accelerator = await pickAccelerator(args.accelerator);
  const dataDir = await mkdtemp(join(tmpdir(), "berth-bench-vm-"));
  await chmod(dataDir, 0o711);
  kit = makeKit(dataDir, args, { accelerator, kernel });
  say(
    `data dir ${dataDir}, accelerator ${accelerator}, guest kernel ${kernel.version}, subnet ${args.subnet}, ` +
      `host ports ${args.portRange.min}-${args.portRange.max - 1} (raw boots' hostfwd: ${kit.rawPort})`,
  );
  const tenant = randomUUID();
  tenants.push(tenant);
  // Before any timing: the image pulled and unpacked, its ext4 root disk and the base initramfs
  // built (driver.prepare, what the agent does before a start), as the container bench pulls.
  const tp = performance.now();
  const prep = helloSpec(tenant, args);
  await kit.driver.prepare(prep);
  const prepareMs = round(performance.now() - tp);
  const image = await kit.images.ensure(HELLO);
  const rootfs = await ensureRootfs({ image, cacheDir: join(kit.vmDir, "rootfs") });
  const baseInitrd = await ensureBaseInitrd({
    kernel,
    initBinary: defaultInitBinary,
    cacheDir: join(kit.vmDir, "initrd"),
  });
  say(`prepared ${HELLO} (pull, unpack, ext4 rootfs, initramfs) in ${prepareMs} ms, before any timing`);
  // The tenant's bridge and the ruleset stay up throughout (a reservation with no link), as on an
  // agent that already runs this tenant; a warm-up start and raw boot fill the page cache.
  await kit.network.reserve({ instanceId: `bench-warm-${tenant}`, tenantId: tenant, ports: [] });
  say("warm-up: one driver start and one raw boot, not counted");
  await sequential(
    kit,
    { ...args, instances: 1, settleS: 0 },
    tenant,
    { image, rootfs, baseInitrd },
    {
      stop: () => stop(),
      progress: (s) => say(`warm-up ${s}`),
    },
  );

  say(`phase 1: ${args.instances} sequential driver starts, each followed by a raw QEMU boot of the same VM`);
  const seq = await sequential(
    kit,
    args,
    tenant,
    { image, rootfs, baseInitrd },
    {
      stop: () => stop(),
      progress: say,
    },
  );

  let idleResult: IdleResult | null = null;
  if (args.idle > 0 && !stop()) {
    say(`phase 2: ${args.idle} idle micro-VMs at once, memory read after ${args.settleS} s idle`);
    idleResult = await idle(kit, args, tenant, { stop: () => stop(), progress: say });
  }
  const leftovers = await cleanup();
  say(
    leftovers.length
      ? `LEFTOVERS: ${leftovers.join(", ")}`
      : "cleaned up: no QEMU, tap, cgroup, attachment, bridge, published port or mount left",
  );
  return record({
    args,
    command,
    stopping: stopping(),
    kit,
    seq,
    idle: idleResult,
    leftovers,
    prepareMs,
    wallS: round((performance.now() - t0) / 1000),
    machine: machineOf(loadAvgAtStart),
    say,
  });
}

start(main);
