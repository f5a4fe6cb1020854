// The run's figures: percentiles, the ratio to raw QEMU, the memory verdict; printed, and kept in
// bench/results/microvm.json and the table of bench/RESULTS.md (results.ts).
import { execFileSync } from "node:child_process";
import { defaultQemu } from "../../agent/src/drivers/microvm/driver";
import { guestMemoryMiB, tbSizeMiB, vcpusOf } from "../../agent/src/drivers/microvm/qemu";
import { HELLO } from "../../agent/src/images/testing";
import { endStatus, saveRun } from "../lib/run";
import { msStats } from "../lib/stats";
import { round } from "../placement/stats";
import type { BenchArgs } from "./args";
import type { IdleResult } from "./idle";
import type { Kit } from "./kit";
import type { QemuMemory } from "./memory";
import { type MicrovmRun, recordRun } from "./results";
import type { StartSample } from "./sequential";

/** Firecracker's published VMM memory overhead bound (per microVM), the anchor we compare with. */
const firecrackerKiB = 5 * 1024;

const sum = (...xs: unknown[]) =>
  xs.every((x) => typeof x === "number") ? (xs as number[]).reduce((a, b) => a + b, 0) : null;

export function record(o: {
  args: BenchArgs;
  command: string;
  stopping: string | null;
  kit: Kit;
  seq: { samples: StartSample[]; rawIdle: QemuMemory | null };
  idle: IdleResult | null;
  leftovers: string[];
  prepareMs: number;
  wallS: number;
  machine: MicrovmRun["machine"];
  say: (s: string) => void;
}): number {
  const { args, kit, seq, say } = o;
  const samples = seq.samples;
  const driver = msStats(samples.map((s) => s.ms));
  const raw = msStats(samples.map((s) => s.raw.ms));
  const ratio = driver.p50Ms !== null && raw.p50Ms ? round(driver.p50Ms / raw.p50Ms, 2) : null;
  const part = (k: string) => msStats(samples.map((s) => s.driver[k] as number | undefined));
  const breakdown = {
    startReturnedMs: msStats(samples.map((s) => s.startMs)),
    prepareMs: part("prepareMs"),
    launchMs: part("launchMs"),
    bootToStartedMs: part("bootMs"),
    startedTo200Ms: msStats(samples.map((s) => (s.ms === null ? null : s.ms - s.startMs))),
    /** What the driver does outside QEMU: artifacts looked up, uid range, initramfs, tap, cgroups, jailer spawn. */
    driverOwnMs: msStats(samples.map((s) => sum(s.driver.prepareMs, s.driver.launchMs))),
    /** Each start minus the raw boot right after it: the guest's boot-time noise mostly cancels. */
    driverMinusRawMs: msStats(
      samples.map((s) => (s.ms === null || s.raw.ms === null ? null : s.ms - s.raw.ms)),
    ),
    stopMs: msStats(samples.map((s) => s.stopMs)),
  };
  say(
    `driver start→HTTP 200: p50 ${driver.p50Ms} ms, p95 ${driver.p95Ms} ms (n ${driver.n}); ` +
      `raw QEMU spawn→HTTP 200: p50 ${raw.p50Ms} ms (n ${raw.n}); ratio ${ratio} (target ≤ 1.3)`,
  );
  say(
    `driver's own work outside QEMU (prepare + launch): p50 ${breakdown.driverOwnMs.p50Ms} ms; ` +
      `start minus the raw boot after it: p50 ${breakdown.driverMinusRawMs.p50Ms} ms (min ${breakdown.driverMinusRawMs.minMs}, max ${breakdown.driverMinusRawMs.maxMs})`,
  );
  const idle = o.idle;
  if (idle)
    say(
      `idle: ${idle.answeredAfterSettle}/${idle.requested} answering; per VM: QEMU PSS ${idle.qemu.pssKiB} KiB ` +
        `(RSS ${idle.qemu.rssKiB}), guest RAM resident ${idle.qemu.guestRam.pssKiB} KiB, VMM beyond it ${idle.vmmOverheadKiB} KiB ` +
        `(TCG cache ${idle.qemu.tcgCode.pssKiB}, other anon ${idle.qemu.otherAnon.pssKiB}, files ${idle.qemu.files.pssKiB}); ` +
        `cgroup usage ${idle.cgroupKiB.usage} KiB; host memory per VM ${idle.hostMemKiBPerInstance} KiB`,
    );
  if (seq.rawIdle)
    say(
      `raw QEMU idle (same VM, no jail): PSS ${seq.rawIdle.pssKiB} KiB, VMM beyond guest RAM ${seq.rawIdle.vmmPssKiB} KiB`,
    );
  const status: MicrovmRun["status"] = endStatus(
    o.stopping,
    driver.n === args.instances &&
      raw.n === args.instances &&
      (!idle || idle.answeredAfterSettle === args.idle),
  );
  const qemuVersion = execFileSync(defaultQemu, ["--version"], { encoding: "utf8" }).split("\n")[0];
  const run: MicrovmRun = {
    command: o.command,
    date: new Date().toISOString(),
    status,
    accelerator: kit.accelerator,
    n: driver.n,
    p50Ms: driver.p50Ms,
    p95Ms: driver.p95Ms,
    rawQemuP50Ms: raw.p50Ms,
    ratioToRawQemu: ratio,
    targets: {
      ratio: ratio === null ? null : ratio <= 1.3,
      vmmOverheadVsFirecracker5MiB:
        idle?.vmmOverheadKiB == null ? null : idle.vmmOverheadKiB <= firecrackerKiB,
    },
    idleRequested: args.idle,
    idleAnswered: idle?.answeredAfterSettle ?? 0,
    hostMemKiBPerInstance: idle?.hostMemKiBPerInstance ?? null,
    vmmOverheadKiB: idle?.vmmOverheadKiB ?? null,
    vmmOverheadNoTcgKiB: idle?.vmmOverheadNoTcgKiB ?? null,
    wallS: o.wallS,
    cleanedUp: o.leftovers.length === 0,
    machine: { ...o.machine, qemu: qemuVersion, guestKernel: kit.kernel.version },
    image: { ref: HELLO, preparedBeforeTiming: true, prepareMs: o.prepareMs },
    config: {
      guestMemoryMiB: guestMemoryMiB(args.memoryMiB),
      vcpus: vcpusOf(args.cpuMillis),
      cpuMillis: args.cpuMillis,
      tcgTbSizeMiB: kit.accelerator === "tcg" ? tbSizeMiB : null,
    },
    method: {
      driver:
        "createMicrovmDriver with OciImageStore and createInstanceNetwork (tap on the tenant bridge, nftables DNAT), QEMU through berth-jailer in the VM's cgroups; from the start() call to the first HTTP 200 on the published endpoint 127.0.0.1:HOSTPORT; the image, ext4 rootfs and base initramfs prepared before; the tenant's bridge kept up by a placeholder reservation; each VM stopped (2 s grace) before the raw boot",
      raw: "the driver's own qemuArgs for the same VM (machine, accelerator and TCG cache size, memory, vCPUs, devices, -sandbox) with host paths for the jail's, the same kernel, base initramfs + the same /berth/config, the same ext4 rootfs (snapshot=on), and user networking (restrict=on, hostfwd 127.0.0.1:PORT to the guest's 8080) instead of the tap; no jailer, cgroup, tap or record; from QEMU's spawn to the first HTTP 200",
      probe: `a TCP connect + GET / every ${args.pollMs} ms, each attempt with a ${args.connectTimeoutMs} ms timeout`,
      memory:
        "K VMs up at once, each answering, then idle for the settle time; per QEMU from /proc/PID/smaps: PSS and RSS, split into the guest RAM mapping, TCG's rwx translation cache, other anonymous memory and file-backed pages; hostMemKiBPerInstance = mean PSS + VmPTE + 16 KiB per thread; vmmOverheadKiB = mean PSS beyond the guest RAM mapping. Cgroup usage and the host-wide meminfo growth (taps, cgroups, jail namespaces) are reported beside it",
    },
    args: { ...args },
    sequential: { driver, raw, breakdown, samples },
    idle,
    rawIdle: seq.rawIdle,
    leftovers: o.leftovers,
    warnings: kit.warnings.slice(0, 20),
  };
  saveRun(args.record, run, recordRun);
  const mib = (k: number | null) => (k === null ? "–" : `${(k / 1024).toFixed(1)} MiB`);
  say(
    `targets: ratio ${ratio} ${run.targets.ratio ? "≤" : ">"} 1.3; VMM memory beyond guest RAM ${mib(run.vmmOverheadKiB)} ` +
      `(without TCG's cache ${mib(run.vmmOverheadNoTcgKiB)}) vs Firecracker's ≤ 5 MiB; host memory per idle VM ${mib(run.hostMemKiBPerInstance)} (${kit.accelerator})`,
  );
  say(`reproduce: ${o.command}`);
  return status === "completed" && o.leftovers.length === 0 ? 0 : 1;
}
