// A VM's status from its record, /proc and its console: the same answer for the driver that
// started it and for one made after an agent restart (adoption needs nothing else).
import type { InstanceStatus } from "../../driver";
import { writeAtomic } from "../container/files";
import { exitReason } from "../container/host";
import { exitCodeOf, failureOf, initErrorOf, scanStarted } from "./console";
import { isAlive } from "./jail";
import type { InstancePaths, VmRecord } from "./records";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function baseOf(r: VmRecord) {
  return {
    instanceId: r.instanceId,
    generation: r.generation,
    endpoints: [...r.endpoints],
    accelerator: r.accelerator,
  };
}

/** Marks the run over in its record. */
export async function endRecord(
  p: InstancePaths,
  r: VmRecord,
  ended: Omit<NonNullable<VmRecord["ended"]>, "at">,
) {
  await writeAtomic(p.record, JSON.stringify({ ...r, ended: { ...ended, at: new Date().toISOString() } }));
}

export async function statusOf(r: VmRecord, p: InstancePaths): Promise<InstanceStatus> {
  const base = baseOf(r);
  if (r.ended) {
    const { state, exitCode, reason } = r.ended;
    return {
      ...base,
      endpoints: [],
      state,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(reason ? { reason } : {}),
    };
  }
  if (!r.pid || !r.startTime) {
    // Between the record and the spawn; an agent that died there left no QEMU.
    if (Date.now() - Date.parse(r.startedAt) < 30_000) return { ...base, state: "starting" };
    return { ...base, state: "failed", reason: "the agent stopped before QEMU was started" };
  }
  if (await isAlive(r.pid, r.startTime)) {
    const ready = r.ready || (await scanStarted(p.console, r.consoleOffset, r.consoleOffset)).found;
    return { ...base, state: ready ? "running" : "starting" };
  }
  // The workload could not be started (berth-init's error: no rootfs, no such command, ...).
  const error = await initErrorOf(p.console, r.consoleOffset);
  if (error) return { ...base, state: "failed", exitCode: 127, reason: error };
  const exitCode = await exitCodeOf(p.console, r.consoleOffset);
  if (exitCode !== undefined) return { ...base, state: "exited", exitCode, ...exitReason(exitCode) };
  const tail = await failureOf(p.console, r.consoleOffset);
  return { ...base, state: "failed", reason: `QEMU is gone without an exit code: ${tail}` };
}

/**
 * Until berth-init says it started the workload ("started", the record then says ready), QEMU
 * is gone ("gone") or the deadline passes ("timeout"). The console is read on from where the last
 * look stopped.
 */
export async function waitStarted(r: VmRecord, p: InstancePaths, deadline: number) {
  let pos = r.consoleOffset;
  for (;;) {
    const scan = await scanStarted(p.console, pos, r.consoleOffset);
    pos = scan.pos;
    if (scan.found) {
      await writeAtomic(p.record, JSON.stringify({ ...r, ready: true }));
      return "started" as const;
    }
    if (!(await isAlive(r.pid as number, r.startTime as string))) return "gone" as const;
    if (Date.now() > deadline) return "timeout" as const;
    await sleep(50);
  }
}
