// What the two virtual machine benches (bench:microvm, bench:unikernel) share: the accelerator
// choice, the driver's per-instance files, a timed start to the first HTTP 200, the idle phase's
// starts, settle and memory reads, and the leftovers a QEMU instance can leave.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Driver, InstanceSpec } from "../../agent/src/driver";
import { cgroupPathOf } from "../../agent/src/drivers/microvm/cgroup";
import { isAlive } from "../../agent/src/drivers/microvm/jail";
import type { Accelerator } from "../../agent/src/drivers/microvm/qemu";
import type { VmRecord } from "../../agent/src/drivers/microvm/records";
import { tapName } from "../../agent/src/drivers/microvm/tap";
import type { Fields } from "../../agent/src/log";
import { acceleratorCache } from "../../agent/src/probe/index";
import { cgroupMemory, type MemInfo, memInfo } from "../container/host";
import { probeOnce, waitFor200 } from "../container/http";
import { meanMemory, type QemuMemory, qemuMemory } from "../microvm/memory";
import type { VmBenchArgs } from "./vm-args";

/** What the helpers below need of a bench's kit. */
export type VmKit = {
  driver: Pick<Driver, "start" | "stop">;
  /** The driver's "… started" fields by instance id. */
  breakdowns: Map<string, Fields>;
  /** Every instance id the bench asked the driver to start, for the cleanup. */
  started: Set<string>;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A progress figure: whole ms, or "–". */
export const fmtMs = (x: number | null | undefined) => (x == null ? "–" : `${Math.round(x)} ms`);

/** The accelerator: asked for, or the agent's probe answer cached for this boot, or tcg. */
export async function pickAccelerator(asked: VmBenchArgs["accelerator"]): Promise<Accelerator> {
  if (asked !== "auto") return asked;
  const cached = await readFile(acceleratorCache, "utf8")
    .then((t) => (JSON.parse(t) as { accelerator?: string }).accelerator)
    .catch(() => undefined);
  return cached === "kvm" ? "kvm" : "tcg";
}

/** The driver's record of an instance (<driverDir>/instances/<id>/record.json): QEMU's pid, its tap, its uid. */
export async function readRecord<R extends VmRecord>(driverDir: string, id: string): Promise<R | null> {
  return readFile(join(driverDir, "instances", id, "record.json"), "utf8")
    .then((t) => JSON.parse(t) as R)
    .catch(() => null);
}

/** This run's console (the last 400 characters): why a start did not answer. */
export async function readConsoleTail(driverDir: string, id: string): Promise<string> {
  return readFile(join(driverDir, "instances", id, "console.log"), "utf8")
    .then((t) => t.replaceAll("\r", "").slice(-400))
    .catch(() => "");
}

/**
 * One driver start timed from the start() call to the first HTTP 200 on its published endpoint,
 * then its stop (with `graceMs`) timed too; a start that did not answer gets its console's tail.
 */
export async function timedStart(
  kit: VmKit,
  spec: InstanceSpec,
  args: VmBenchArgs,
  o: { graceMs: number; consoleTail: (id: string) => Promise<string> },
) {
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
    const tail = await o.consoleTail(spec.instanceId);
    reason =
      `${reason ?? ""} ${status.state}, no HTTP 200 on ${endpoint}: console ${JSON.stringify(tail)}`.trim();
  }
  const t1 = performance.now();
  await kit.driver.stop(spec.instanceId, o.graceMs);
  const stopMs = performance.now() - t1;
  return { t0, status, startMs, ok, reason, stopMs };
}

/** One timed start as a bench keeps it; `X` (a bench's own figures) sits after `attempts`. */
export type VmStartSample<X extends object = object> = {
  /** start() call to the first HTTP 200. */
  ms: number | null;
  /** start() call to its return (the guest's ready line seen). */
  startMs: number;
  /** The driver's "… started" fields: ms, prepareMs, launchMs, bootMs. */
  driver: Record<string, unknown>;
  attempts: number;
} & X & {
    stopMs: number;
    state: string;
    reason?: string;
  };

export function sampleOf<X extends object>(
  kit: VmKit,
  id: string,
  r: Awaited<ReturnType<typeof timedStart>>,
  extra: X,
): VmStartSample<X> {
  return {
    ms: r.ok ? r.ok.at - r.t0 : null,
    startMs: r.startMs,
    driver: { ...kit.breakdowns.get(id) },
    attempts: r.ok?.attempts ?? 0,
    ...extra,
    stopMs: r.stopMs,
    state: r.status.state,
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/**
 * The idle phase's figures: K instances started one after the other (each waited for until it
 * answers), left idle for the settle time, checked to answer again, then each QEMU's memory and
 * cgroup usage read, with /proc/meminfo before the first start and with all up.
 */
export async function idleInstances(
  kit: VmKit,
  args: VmBenchArgs,
  o: {
    spec: () => InstanceSpec;
    stop: () => boolean;
    progress: (s: string) => void;
    /** The first HTTP 200's probe after each start. */
    pollMs: number;
    connectTimeoutMs: number;
    /** A line after each start, if any. */
    eachUp?: (up: number, answered: number) => string;
    /** The line before the settle time. */
    settling: (up: number, answered: number) => string;
    guestMiB: number;
    recordOf: (id: string) => Promise<VmRecord | null>;
  },
) {
  const before = await memInfo(10);
  const up: { id: string; endpoint: string }[] = [];
  const failures: string[] = [];
  let answered = 0;
  const t0 = performance.now();
  for (let i = 0; i < args.idle && !o.stop() && failures.length < 3; i++) {
    const spec = o.spec();
    kit.started.add(spec.instanceId);
    const s = await kit.driver.start(spec);
    const endpoint = s.endpoints[0];
    if (s.state !== "running" || !endpoint) {
      failures.push(`${s.state}: ${s.reason ?? "?"}`.slice(0, 300));
      continue;
    }
    up.push({ id: spec.instanceId, endpoint });
    const deadline = performance.now() + args.bootTimeoutS * 1000;
    if (await waitFor200(endpoint, { deadline, pollMs: o.pollMs, connectTimeoutMs: o.connectTimeoutMs }))
      answered++;
    else failures.push(`running, but no HTTP 200 on ${endpoint} within ${args.bootTimeoutS} s`);
    if (o.eachUp) o.progress(o.eachUp(up.length, answered));
  }
  const startWallS = Math.round((performance.now() - t0) / 100) / 10;
  o.progress(o.settling(up.length, answered));
  await sleep(args.settleS * 1000);
  let answeredAfterSettle = 0;
  for (const x of up)
    for (let i = 0; i < 3; i++)
      if (await probeOnce(x.endpoint, 3000)) {
        answeredAfterSettle++;
        break;
      }
  const allUp = await memInfo(10);
  const perVm: QemuMemory[] = [];
  let usage = 0;
  let kernel = 0;
  for (const x of up) {
    const r = await o.recordOf(x.id);
    const m = r?.pid ? await qemuMemory(r.pid, o.guestMiB) : null;
    if (m) perVm.push(m);
    const cg = await cgroupMemory(cgroupPathOf(x.id));
    usage += cg?.usage ?? 0;
    kernel += cg?.kernel ?? 0;
  }
  const n = up.length || 1;
  const per = (x: number) => Math.round(x / n);
  const grew = (k: keyof MemInfo) => per(allUp[k] - before[k]);
  const qemu = meanMemory(perVm);
  const some = perVm.length > 0;
  return {
    /** The result's first fields, in its order. */
    head: {
      requested: args.idle,
      running: up.length,
      answered,
      answeredAfterSettle,
      failures,
      settleS: args.settleS,
    },
    /** Then (after a bench's own) these; cgroupKiB: the mean of the instances' cgroups' memory.usage_in_bytes (v1) or memory.current, and its kernel part. */
    memory: { qemu, perVm, cgroupKiB: { usage: per(usage / 1024), kernel: per(kernel / 1024) } },
    /** Host-wide growth per instance of a /proc/meminfo field, from before the first start to all up. */
    grew,
    memAvailableFallKiBPerVm: per(before.MemAvailable - allUp.MemAvailable),
    memKiB: { before, allUp },
    /** The result's last fields. hostMemKiBPerInstance, the headline: mean QEMU PSS + its page tables + its threads' kernel stacks; vmmOverheadKiB: mean PSS beyond the guest's RAM, and without TCG's translation cache. */
    tail: {
      hostMemKiBPerInstance: some ? qemu.pssKiB + qemu.pageTablesKiB + qemu.kernelStacksKiB : null,
      vmmOverheadKiB: some ? qemu.vmmPssKiB : null,
      vmmOverheadNoTcgKiB: some ? qemu.vmmPssNoTcgKiB : null,
      startWallS,
    },
  };
}

/** The instance's cgroup directories: each v1 hierarchy's, and the v2 tree's. */
const cgroupDirs = (id: string) => [
  ...["memory", "cpu", "cpuacct", "pids"].map((c) => `/sys/fs/cgroup/${c}${cgroupPathOf(id)}`),
  `/sys/fs/cgroup${cgroupPathOf(id)}`,
];

/** What a started instance can leave: its QEMU (from its record), its tap (in `links`), its cgroups. */
export async function instanceLeftovers(
  ids: Iterable<string>,
  links: string,
  recordOf: (id: string) => Promise<VmRecord | null>,
): Promise<string[]> {
  const left: string[] = [];
  for (const id of ids) {
    const r = await recordOf(id);
    if (r?.pid && r.startTime && (await isAlive(r.pid, r.startTime))) left.push(`QEMU pid ${r.pid} (${id})`);
    if (links.includes(tapName(id))) left.push(`tap ${tapName(id)}`);
    for (const dir of cgroupDirs(id)) if (existsSync(dir)) left.push(`cgroup ${dir}`);
  }
  return left;
}

/** The parts of an idle phase's result both benches keep: its first fields, then its memory, then its last. */
type IdleFigures = Awaited<ReturnType<typeof idleInstances>>;
export type IdleResultOf<Own extends object, Growth extends object> = IdleFigures["head"] &
  Own &
  IdleFigures["memory"] &
  Growth &
  IdleFigures["tail"];
