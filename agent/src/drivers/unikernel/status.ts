// A unikernel's status from its record, /proc and its console (../vm/status.ts): running once it
// said it was ready (`listening`, or `booting` without ports), and once QEMU is gone, its halt
// code or its crash.
import type { InstanceStatus } from "../../driver";
import { exitReason } from "../container/host";
import type { InstancePaths, VmRecord } from "../microvm/records";
import { type ReadyScan, runStatusOf, untilReady } from "../vm/status";
import { exceptionOf, haltCodeOf, type ReadyOn, scanReady, tailOf } from "./console";

/** What makes an instance running: listening when it publishes ports, booting otherwise. */
export const readyOn = (ports: unknown[]): ReadyOn => (ports.length > 0 ? "listening" : "booting");

export type UkRecord = VmRecord & { readyOn?: ReadyOn };

const ready: ReadyScan<UkRecord> = (r, p, pos) =>
  scanReady(p.console, pos, r.consoleOffset, r.readyOn ?? "listening");

export function statusOf(r: UkRecord, p: InstancePaths): Promise<InstanceStatus> {
  return runStatusOf(r, p, ready, endOf);
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
export function waitReady(r: UkRecord, p: InstancePaths, deadline: number) {
  return untilReady(r, p, deadline, ready, 10);
}
