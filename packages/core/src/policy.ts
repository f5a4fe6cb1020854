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

/**
 * What a level cannot run yet, named by field: volumes are ext4 images loop-mounted and bound
 * into containers; the virtual machine levels do not attach them (yet), and an instance that
 * silently ran without its data would be worse than a refusal. Secrets reach an instance through
 * its environment, which a unikernel does not have.
 */
export function unsupportedAtLevel(
  level: IsolationLevel,
  spec: { volumes?: readonly unknown[]; secretNames?: readonly string[] },
): string | null {
  if (level !== "container" && (spec.volumes?.length ?? 0) > 0)
    return `volumes: isolation level "${level}" does not mount volumes yet; use level "container" or remove the volumes`;
  const [secret] = spec.secretNames ?? [];
  if (level === "unikernel" && secret !== undefined)
    return `secrets.${secret}: isolation level "unikernel" has no environment to hand secrets to; use "container" or "microvm"`;
  return null;
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
