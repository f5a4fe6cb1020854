import { joinRequest } from "@berth/contracts";
import { UsageError } from "./errors";
import type { HostInfo } from "./host-info";
import { ControlPlane, type ControlPlaneOptions } from "./http";
import type { AgentState } from "./state";

export type EnrollOptions = {
  server: string;
  joinToken: string;
  name: string;
  address: string;
  labels: Record<string, string>;
  host: HostInfo;
  sim: boolean;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onRetry?: ControlPlaneOptions["onRetry"];
};

/** Which command-line flag a field of the join request comes from, for error messages. */
const flagOf: Record<string, string> = {
  joinToken: "--token",
  name: "--name",
  address: "--address",
  labels: "--label",
  capacity: "capacity (BERTH_AGENT_MAX_INSTANCES, BERTH_AGENT_MEMORY_RESERVE_MIB)",
};

type Issue = { path: PropertyKey[]; message: string; code?: string; issues?: Issue[] };

function describeIssue(i: Issue): string {
  const [head, ...rest] = i.path.map(String);
  const where = head ? (flagOf[head] ?? head) : "(request)";
  // zod reports a bad record key as "Invalid key in record"; the contract's own words are inside.
  const message = i.code === "invalid_key" ? (i.issues?.[0]?.message ?? i.message) : i.message;
  return `${where}${rest.length ? ` ${rest.join(".")}` : ""}: ${message}`;
}

/** Checks what the operator typed before any probing or network call. */
export function checkJoinFields(fields: Pick<EnrollOptions, "joinToken" | "name" | "address" | "labels">) {
  const parsed = joinRequest
    .pick({ joinToken: true, name: true, address: true, labels: true })
    .safeParse(fields);
  if (!parsed.success)
    throw new UsageError(parsed.error.issues.map((i) => describeIssue(i as Issue)).join("; "));
}

/**
 * Exchanges a one-time join token for the host's identity. Used by `berth-agent join` and by
 * tests and benchmarks that enroll many sim hosts without touching the file system.
 */
export async function enroll(opts: EnrollOptions): Promise<AgentState> {
  const parsed = joinRequest.safeParse({
    joinToken: opts.joinToken,
    name: opts.name,
    address: opts.address,
    labels: opts.labels,
    capacity: opts.host.capacity,
    capabilities: opts.host.capabilities,
  });
  if (!parsed.success)
    throw new UsageError(parsed.error.issues.map((i) => describeIssue(i as Issue)).join("; "));
  const cp = new ControlPlane({
    server: opts.server,
    fetch: opts.fetch,
    signal: opts.signal,
    onRetry: opts.onRetry,
  });
  const res = await cp.join(parsed.data);
  return {
    version: 1,
    server: opts.server,
    hostId: res.hostId,
    hostToken: res.hostToken,
    redis: res.redis,
    queue: res.queue,
    heartbeatIntervalMs: res.heartbeatIntervalMs,
    sim: opts.sim,
    joinedAt: new Date().toISOString(),
  };
}
