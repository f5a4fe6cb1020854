// A unikernel's status from its record, /proc and its console: the same answer for the driver that
// started it and for one made after an agent restart.
import type { InstanceStatus } from "../../driver";
import { writeAtomic } from "../container/files";
import { exitReason } from "../container/host";
import { isAlive } from "../microvm/jail";
import type { InstancePaths, VmRecord } from "../microvm/records";
import { baseOf } from "../microvm/status";
import { exceptionOf, haltCodeOf, type ReadyOn, scanReady, tailOf } from "./console";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What makes an instance running: listening when it publishes ports, booting otherwise. */
export const readyOn = (ports: unknown[]): ReadyOn => (ports.length > 0 ? "listening" : "booting");

export type UkRecord = VmRecord & { readyOn?: ReadyOn };

export async function statusOf(r: UkRecord, p: InstancePaths): Promise<InstanceStatus> {
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
    if (Date.now() - Date.parse(r.startedAt) < 30_000) return { ...base, state: "starting" };
    return { ...base, state: "failed", reason: "the agent stopped before QEMU was started" };
  }
  if (await isAlive(r.pid, r.startTime)) {
    const ready =
      r.ready ||
      (await scanReady(p.console, r.consoleOffset, r.consoleOffset, r.readyOn ?? "listening")).found;
    return { ...base, state: ready ? "running" : "starting" };
  }
  return { ...base, ...(await endOf(r, p)) };
}

/** How a run whose QEMU is gone ended, from its console: a crash, a halt, or nothing said. */
export async function endOf(r: VmRecord, p: InstancePaths) {
  const code = await haltCodeOf(p.console, r.consoleOffset);
  const exception = await exceptionOf(p.console, r.consoleOffset);
  if (exception)
    return { state: "failed" as const, ...(code !== undefined ? { exitCode: code } : {}), reason: exception };
  if (code !== undefined) return { state: "exited" as const, exitCode: code, ...exitReason(code) };
  return {
    state: "failed" as const,
    reason: `QEMU is gone without a halt line: ${await tailOf(p.console, r.consoleOffset)}`,
  };
}

/** Until the ready marker (the record then says ready), QEMU gone ("gone") or the deadline. */
export async function waitReady(r: UkRecord, p: InstancePaths, deadline: number) {
  let pos = r.consoleOffset;
  for (;;) {
    const scan = await scanReady(p.console, pos, r.consoleOffset, r.readyOn ?? "listening");
    pos = scan.pos;
    if (scan.found) {
      await writeAtomic(p.record, JSON.stringify({ ...r, ready: true }));
      return "ready" as const;
    }
    if (!(await isAlive(r.pid as number, r.startTime as string))) return "gone" as const;
    if (Date.now() > deadline) return "timeout" as const;
    await sleep(10);
  }
}
