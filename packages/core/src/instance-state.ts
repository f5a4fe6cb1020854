import type { instanceStates } from "@berth/contracts";

export type InstanceState = (typeof instanceStates)[number];

/**
 * Allowed transitions of an instance. `lost` is what the control plane concludes when the host
 * stops answering; a lost instance is replaced, and if its host comes back the agent is told to
 * stop it. Terminal states (stopped, failed, exited) end an instance's life: a restart is a new
 * start of the same instance row only through `pending` again.
 */
const transitions: Record<InstanceState, readonly InstanceState[]> = {
  pending: ["scheduled", "stopped"],
  scheduled: ["starting", "pending", "stopping", "stopped", "lost"],
  starting: ["running", "failed", "exited", "stopping", "lost"],
  running: ["stopping", "exited", "failed", "lost"],
  stopping: ["stopped", "exited", "failed", "lost"],
  stopped: ["pending"],
  failed: ["pending"],
  exited: ["pending"],
  lost: ["pending", "stopped"],
};

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return from === to || transitions[from].includes(to);
}

export const terminalStates: readonly InstanceState[] = ["stopped", "failed", "exited"];

export type Report = { instanceId: string; generation: number; state: InstanceState };

export type ReportDecision = "apply" | "duplicate" | "stale" | "invalid";

/**
 * Decides what to do with an agent's report. Reports are idempotent: the same state again is a
 * duplicate (nothing changes), a report for an older generation is stale (the instance was
 * replaced meanwhile), and an impossible transition is refused.
 */
export function decideReport(
  current: { state: InstanceState; generation: number },
  report: Report,
): ReportDecision {
  if (report.generation < current.generation) return "stale";
  if (report.generation > current.generation) return "invalid";
  if (report.state === current.state) return "duplicate";
  return canTransition(current.state, report.state) ? "apply" : "invalid";
}
