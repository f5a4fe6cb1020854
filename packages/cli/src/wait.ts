import { CliError, exitCodes } from "./errors";
import { instanceSummary } from "./render";
import type { Deployment, Host } from "./types";

export const UNPLACEABLE = "no host can run this deployment yet (its instances stay pending)";

/** What GET /hosts tells about placement; API tokens are never operators, so mostly "forbidden". */
export type HostsView = { kind: "forbidden" } | { kind: "listed"; hosts: Host[] };

export type WaitDeps = {
  fetchDeployment(): Promise<Deployment>;
  fetchHosts(): Promise<HostsView>;
  sleep(ms: number): Promise<void>;
  now(): number;
  progress?(text: string): void;
};

export type WaitOptions = { timeoutMs: number; intervalMs?: number; placementGraceMs?: number };

const terminal = new Set(["failed", "exited"]);

export function hostsThatFit(d: Deployment, hosts: Host[]): Host[] {
  return hosts.filter(
    (h) =>
      h.status === "ready" &&
      !h.cordoned &&
      h.isolationLevels.includes(d.isolation) &&
      h.capacity.cpuMillis >= d.cpuMillis &&
      h.capacity.memoryMiB >= d.memoryMiB,
  );
}

/**
 * Why the instances cannot be placed, or null while placement may still happen. Any reason on a
 * pending instance comes from placement saying it cannot place it; without one, the host list
 * decides, and a host list we may not read means we cannot expect placement either.
 */
export function placementBlocker(d: Deployment, view: HostsView): string | null {
  const reasons = [...new Set(d.instances.map((i) => i.reason).filter((r): r is string => Boolean(r)))];
  if (reasons.length) return `${UNPLACEABLE}; reason: ${reasons.join("; ")}`;
  if (view.kind === "forbidden") return UNPLACEABLE;
  if (hostsThatFit(d, view.hosts).length === 0) {
    return `${UNPLACEABLE}; reason: no ready host offers the ${d.isolation} level with enough capacity`;
  }
  return null;
}

/** Polls until every instance runs; throws a CliError (exit 1 or 3) otherwise. */
export async function waitForRunning(deps: WaitDeps, opts: WaitOptions): Promise<Deployment> {
  const interval = opts.intervalMs ?? 500;
  const grace = opts.placementGraceMs ?? 5000;
  const start = deps.now();
  let lastSummary = "";
  let hosts: HostsView | null = null;
  let hostsCheckedAt = Number.NEGATIVE_INFINITY;
  for (;;) {
    const d = await deps.fetchDeployment();
    const summary = instanceSummary(d);
    if (summary !== lastSummary) deps.progress?.(`${d.name}: ${summary}`);
    lastSummary = summary;

    const dead = d.instances.find((i) => terminal.has(i.state));
    if (dead) {
      const code = dead.exitCode === null ? "" : ` with code ${dead.exitCode}`;
      throw new CliError(
        `instance ${dead.ordinal} of ${d.name} ${dead.state}${code}: ${dead.reason ?? "no reason given"}`,
      );
    }
    if (d.instances.every((i) => i.state === "running")) return d;

    const elapsed = deps.now() - start;
    if (elapsed >= grace && d.instances.every((i) => i.state === "pending")) {
      // Forbidden stays forbidden; a visible host list is worth another look every grace period.
      if (!hosts || (hosts.kind === "listed" && deps.now() - hostsCheckedAt >= grace)) {
        hosts = await deps.fetchHosts();
        hostsCheckedAt = deps.now();
      }
      const blocker = placementBlocker(d, hosts);
      if (blocker) throw new CliError(blocker, exitCodes.unplaceable);
    }
    if (elapsed + interval > opts.timeoutMs) {
      throw new CliError(
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${d.name} to run: ${summary}`,
      );
    }
    await deps.sleep(interval);
  }
}
