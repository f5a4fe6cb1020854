// The microvm benchmark: create → first HTTP 200 through the real microvm driver (real image
// store, tenant network, jailer, cgroups), the same VM under a plain QEMU in the same run, and K
// idle VMs' host memory. Usage: see args.ts, or `npm run bench:microvm -- --help`. Needs root,
// `npm run setup` (registry with examples/hello, QEMU, guest kernel) and native/ built.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
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
import { round } from "../placement/stats";
import { readArgs } from "./args";
import { cleanupAll } from "./cleanup";
import { type IdleResult, idle } from "./idle";
import { helloSpec, type Kit, makeKit, pickAccelerator } from "./kit";
import { record } from "./record";
import { sequential } from "./sequential";

const args = readArgs(process.argv.slice(2));
const argv = process.argv.slice(2).join(" ");
const command = `npm run bench:microvm${argv ? ` -- ${argv}` : ""}`;
const say = (s: string) => console.log(`[bench] ${s}`);
let stopping: string | null = null;
let kit: Kit | undefined;
const tenants: string[] = [];
let cleaning: Promise<string[]> | undefined;
const cleanup = () => {
  cleaning ??= kit ? cleanupAll(kit, args, tenants, say) : Promise.resolve([]);
  return cleaning;
};

// A first signal lets the current step finish and the run clean up and exit on its own; a second
// one, or 120 s without an exit, cleans up at once.
let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    stopping = sig;
    const hard = () =>
      void cleanup()
        .then((left) => say(left.length ? `leftovers: ${left.join(", ")}` : "cleaned up"))
        .finally(() => process.exit(130));
    if (++signals > 1) return hard();
    say(`${sig}: finishing the current step, then cleaning up (again to clean up at once)`);
    setTimeout(hard, 120_000).unref();
  });
setTimeout(() => {
  stopping = "timeout";
  say(`--timeout-s ${args.timeoutS} reached: finishing the current step, then cleaning up`);
}, args.timeoutS * 1000).unref();

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
  const loadAvgAtStart = loadavg().map((x) => round(x, 2));
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
      stop: () => !!stopping,
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
      stop: () => !!stopping,
      progress: say,
    },
  );

  let idleResult: IdleResult | null = null;
  if (args.idle > 0 && !stopping) {
    say(`phase 2: ${args.idle} idle micro-VMs at once, memory read after ${args.settleS} s idle`);
    idleResult = await idle(kit, args, tenant, { stop: () => !!stopping, progress: say });
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
    stopping,
    kit,
    seq,
    idle: idleResult,
    leftovers,
    prepareMs,
    wallS: round((performance.now() - t0) / 1000),
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? "?",
      memGiB: round(totalmem() / 2 ** 30),
      kernel: release(),
      loadAvg: loadavg().map((x) => round(x, 2)),
      loadAvgAtStart,
    },
    say,
  });
}

main()
  .then((code) => process.exit(code))
  .catch(async (err) => {
    console.error(`[bench] failed: ${(err as Error).stack ?? err}`);
    const left = await cleanup().catch(() => []);
    if (left.length) console.error(`[bench] leftovers: ${left.join(", ")}`);
    process.exit(1);
  });
