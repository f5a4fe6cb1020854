import type { IsolationLevel } from "@berth/contracts";

export type IsolationPolicy = { default: IsolationLevel; allowed: readonly IsolationLevel[] };

export type PolicyResult = { ok: true; level: IsolationLevel } | { ok: false; message: string };

export function resolveIsolation(
  policy: IsolationPolicy,
  requested: IsolationLevel | undefined,
): PolicyResult {
  const level = requested ?? policy.default;
  if (!policy.allowed.includes(level)) {
    return {
      ok: false,
      message: `isolation: level "${level}" is not allowed for this tenant (allowed: ${policy.allowed.join(", ")})`,
    };
  }
  return { ok: true, level };
}

export type Resources = { cpuMillis: number; memoryMiB: number; instances: number };

/** Names the first resource the request would take past the quota, or null when it fits. */
export function quotaExceeded(used: Resources, request: Resources, quota: Resources): string | null {
  for (const key of ["instances", "cpuMillis", "memoryMiB"] as const) {
    if (used[key] + request[key] > quota[key]) {
      return `${key}: the tenant's quota is ${quota[key]}, ${used[key]} in use, ${request[key]} requested`;
    }
  }
  return null;
}
