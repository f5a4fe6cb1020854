// A micro-VM's status from its record, /proc and its console (../vm/status.ts): running once
// berth-init said it started the workload, and once QEMU is gone, berth-init's error or exit code.
import type { InstanceStatus } from "../../driver";
import { exitReason } from "../container/host";
import { type ReadyScan, type RunEnd, runStatusOf, untilReady } from "../vm/status";
import { exitCodeOf, failureOf, initErrorOf, scanStarted } from "./console";
import type { InstancePaths, VmRecord } from "./records";

const started: ReadyScan<VmRecord> = (r, p, pos) => scanStarted(p.console, pos, r.consoleOffset);

export function statusOf(r: VmRecord, p: InstancePaths): Promise<InstanceStatus> {
  return runStatusOf(r, p, started, endOf);
}

async function endOf(r: VmRecord, p: InstancePaths): Promise<RunEnd> {
  // The workload could not be started (berth-init's error: no rootfs, no such command, ...).
  const error = await initErrorOf(p.console, r.consoleOffset);
  if (error) return { state: "failed", exitCode: 127, reason: error };
  const exitCode = await exitCodeOf(p.console, r.consoleOffset);
  if (exitCode !== undefined) return { state: "exited", exitCode, ...exitReason(exitCode) };
  const tail = await failureOf(p.console, r.consoleOffset);
  return { state: "failed", reason: `QEMU is gone without an exit code: ${tail}` };
}

/**
 * Until berth-init says it started the workload ("ready", the record then says ready), QEMU is
 * gone ("gone") or the deadline passes ("timeout").
 */
export function waitStarted(r: VmRecord, p: InstancePaths, deadline: number) {
  return untilReady(r, p, deadline, started, 50);
}
