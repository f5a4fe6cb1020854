// The run's figures: percentiles, the ratio to the micro-VM level's p50 (its last recorded run,
// bench/results/microvm.json), the image and memory verdicts; printed, and kept in
// bench/results/unikernel.json and the table of bench/RESULTS.md (results.ts).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { defaultQemu } from "../../agent/src/drivers/microvm/driver";
import { ukTbSizeMiB } from "../../agent/src/drivers/unikernel/qemu";
import { HELLO_UNIKERNEL } from "../../agent/src/images/artifact-testing";
import { endStatus, saveRun } from "../lib/run";
import { msStats } from "../lib/stats";
import { round } from "../placement/stats";
import type { BenchArgs } from "./args";
import type { IdleResult } from "./idle";
import type { Kit } from "./kit";
import { recordRun, type UnikernelRun } from "./results";
import type { StartSample } from "./sequential";

const imageTargetKiB = 512;
const ratioTarget = 0.1;

/** The micro-VM level's last recorded run: its p50 and p95, accelerator, date and load. */
export function microvmReference(path: URL) {
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as {
      p50Ms?: number;
      p95Ms?: number;
      accelerator?: string;
      date?: string;
      status?: string;
      machine?: { loadAvg?: number[] };
    };
    if (typeof r.p50Ms !== "number") return null;
    return {
      p50Ms: r.p50Ms,
      p95Ms: typeof r.p95Ms === "number" ? r.p95Ms : null,
      accelerator: r.accelerator,
      date: r.date,
      status: r.status,
      loadAvg: r.machine?.loadAvg,
    };
  } catch {
    return null;
  }
}

export function record(o: {
  args: BenchArgs;
  command: string;
  stopping: string | null;
  kit: Kit;
  image: { kiB: number; digest: string; guestMiB: number; prepareMs: number };
  samples: StartSample[];
  idle: IdleResult | null;
  leftovers: string[];
  wallS: number;
  machine: UnikernelRun["machine"];
  say: (s: string) => void;
}): number {
  const { args, kit, samples, idle, say } = o;
  const driver = msStats(samples.map((s) => s.ms));
  const ref = microvmReference(new URL("../results/microvm.json", import.meta.url));
  // Only a micro-VM run on the same accelerator is a fair denominator.
  const sameAccel = ref !== null && ref.accelerator === kit.accelerator;
  const ratio = sameAccel && driver.p50Ms !== null ? round(driver.p50Ms / ref.p50Ms, 3) : null;
  // The tail too: a tenth of the micro-VM's p95 (a start that waits ~1 s for ARP misses it).
  const p95Ratio =
    sameAccel && driver.p95Ms !== null && ref.p95Ms ? round(driver.p95Ms / ref.p95Ms, 3) : null;
  const part = (k: string) => msStats(samples.map((s) => s.driver[k] as number | undefined));
  const breakdown = {
    startReturnedMs: msStats(samples.map((s) => s.startMs)),
    prepareMs: part("prepareMs"),
    launchMs: part("launchMs"),
    bootToListeningMs: part("bootMs"),
    listeningTo200Ms: msStats(samples.map((s) => (s.ms === null ? null : s.ms - s.startMs))),
    stopMs: msStats(samples.map((s) => s.stopMs)),
  };
  say(
    `image ${o.image.kiB} KiB (target ≤ ${imageTargetKiB}); start→HTTP 200: p50 ${driver.p50Ms} ms, p95 ${driver.p95Ms} ms ` +
      `(n ${driver.n}, min ${driver.minMs}, max ${driver.maxMs}); micro-VM p50 ${ref?.p50Ms ?? "?"} ms, p95 ${ref?.p95Ms ?? "?"} ms (${ref?.accelerator ?? "?"}, ${ref?.date ?? "no run"}); ratio ${ratio}, p95 ratio ${p95Ratio} (targets ≤ ${ratioTarget})`,
  );
  say(
    `breakdown p50: prepare ${breakdown.prepareMs.p50Ms}, launch ${breakdown.launchMs.p50Ms}, boot to listening ${breakdown.bootToListeningMs.p50Ms}, ` +
      `start() returned ${breakdown.startReturnedMs.p50Ms}, listening to 200 ${breakdown.listeningTo200Ms.p50Ms}, stop ${breakdown.stopMs.p50Ms} ms`,
  );
  if (idle)
    say(
      `idle: ${idle.answeredAfterSettle}/${idle.requested} answering; per instance: QEMU PSS ${idle.qemu.pssKiB} KiB ` +
        `(RSS ${idle.qemu.rssKiB}), guest RAM resident ${idle.qemu.guestRam.pssKiB} of ${idle.guestMiB * 1024} KiB, VMM beyond it ${idle.vmmOverheadKiB} KiB ` +
        `(TCG cache ${idle.qemu.tcgCode.pssKiB}, other anon ${idle.qemu.otherAnon.pssKiB}, files ${idle.qemu.files.pssKiB}); ` +
        `cgroup usage ${idle.cgroupKiB.usage} KiB; host memory per instance ${idle.hostMemKiBPerInstance} KiB`,
    );
  const status: UnikernelRun["status"] = endStatus(
    o.stopping,
    driver.n === args.instances && (!idle || idle.answeredAfterSettle === args.idle),
  );
  const qemuVersion = execFileSync(defaultQemu, ["--version"], { encoding: "utf8" }).split("\n")[0];
  const run: UnikernelRun = {
    command: o.command,
    date: new Date().toISOString(),
    status,
    accelerator: kit.accelerator,
    imageKiB: o.image.kiB,
    n: driver.n,
    p50Ms: driver.p50Ms,
    p95Ms: driver.p95Ms,
    microvmP50Ms: sameAccel ? ref.p50Ms : null,
    ratioToMicrovm: ratio,
    microvmP95Ms: sameAccel ? ref.p95Ms : null,
    p95RatioToMicrovm: p95Ratio,
    targets: {
      imageKiB: o.image.kiB <= imageTargetKiB,
      ratio: ratio === null ? null : ratio <= ratioTarget,
      p95Ratio: p95Ratio === null ? null : p95Ratio <= ratioTarget,
    },
    idleRequested: args.idle,
    idleAnswered: idle?.answeredAfterSettle ?? 0,
    hostMemKiBPerInstance: idle?.hostMemKiBPerInstance ?? null,
    vmmOverheadKiB: idle?.vmmOverheadKiB ?? null,
    vmmOverheadNoTcgKiB: idle?.vmmOverheadNoTcgKiB ?? null,
    wallS: o.wallS,
    cleanedUp: o.leftovers.length === 0,
    machine: { ...o.machine, qemu: qemuVersion },
    image: {
      ref: HELLO_UNIKERNEL,
      digest: o.image.digest,
      kernelLayerKiB: o.image.kiB,
      prepareMs: o.image.prepareMs,
    },
    microvmReference: ref,
    config: {
      guestMemoryMiB: o.image.guestMiB,
      vcpus: 1,
      cpuMillis: args.cpuMillis,
      tcgTbSizeMiB: kit.accelerator === "tcg" ? ukTbSizeMiB : null,
    },
    method: {
      image:
        "the size of the artifact's kernel layer (the blob QEMU boots with -kernel), as pulled into the image store",
      driver:
        "createUnikernelDriver with OciImageStore and createInstanceNetwork (tap on the tenant bridge, nftables DNAT), QEMU microvm through berth-jailer in the instance's cgroups; from the start() call to the first HTTP 200 on the published endpoint 127.0.0.1:HOSTPORT; the artifact pulled before; the tenant's bridge kept up by a placeholder reservation; each instance stopped (1 s grace) before the next",
      ratio:
        "p50 ÷ the p50 of the last recorded micro-VM run (bench/results/microvm.json) on the same accelerator; p95RatioToMicrovm: p95 ÷ that run's p95",
      probe: `a TCP connect + GET / every ${args.pollMs} ms, each attempt with a ${args.connectTimeoutMs} ms timeout (bench/container/http.ts)`,
      memory:
        "K instances up at once, each answering, then idle for the settle time; per QEMU from /proc/PID/smaps (bench/microvm/memory.ts): hostMemKiBPerInstance = mean PSS + VmPTE + 16 KiB per thread; vmmOverheadKiB = mean PSS beyond the guest RAM mapping",
    },
    args: { ...args },
    sequential: { driver, breakdown, samples },
    idle,
    leftovers: o.leftovers,
    warnings: kit.warnings.slice(0, 20),
  };
  saveRun(args.record, run, recordRun);
  say(`reproduce: ${o.command}`);
  return status === "completed" && o.leftovers.length === 0 ? 0 : 1;
}
