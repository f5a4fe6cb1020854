// A run's status from its record, /proc and its console: the same answer for the driver that
// started it and for one made after an agent restart (adoption needs nothing else). The level says
// which console line makes a run ready and, once QEMU is gone, how the run ended.
import type { InstanceStatus } from "../../driver";
import { writeAtomic } from "../container/files";
import { isAlive } from "../microvm/jail";
import type { InstancePaths, VmRecord } from "../microvm/records";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Scans the run's console from `pos` for the level's ready marker (berth-init's `started`, the
 * unikernel's `listening` or `booting`); `pos` in the answer is where the next scan goes on.
 */
export type ReadyScan<R extends VmRecord> = (
  r: R,
  p: InstancePaths,
  pos: number,
) => Promise<{ found: boolean; pos: number }>;

/** How a run whose QEMU is gone ended, as its console tells it. */
export type RunEnd = Pick<InstanceStatus, "state" | "exitCode" | "reason">;

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

export async function runStatusOf<R extends VmRecord>(
  r: R,
  p: InstancePaths,
  scan: ReadyScan<R>,
  endOf: (r: R, p: InstancePaths) => Promise<RunEnd>,
): Promise<InstanceStatus> {
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
    const ready = r.ready || (await scan(r, p, r.consoleOffset)).found;
    return { ...base, state: ready ? "running" : "starting" };
  }
  return { ...base, ...(await endOf(r, p)) };
}

/**
 * Until the level's ready marker ("ready", the record then says ready), QEMU is gone ("gone") or
 * the deadline passes ("timeout"). The console is read on from where the last look stopped, every
 * pollMs.
 */
export async function untilReady<R extends VmRecord>(
  r: R,
  p: InstancePaths,
  deadline: number,
  scan: ReadyScan<R>,
  pollMs: number,
) {
  let pos = r.consoleOffset;
  for (;;) {
    const found = await scan(r, p, pos);
    pos = found.pos;
    if (found.found) {
      await writeAtomic(p.record, JSON.stringify({ ...r, ready: true }));
      return "ready" as const;
    }
    if (!(await isAlive(r.pid as number, r.startTime as string))) return "gone" as const;
    if (Date.now() > deadline) return "timeout" as const;
    await sleep(pollMs);
  }
}
