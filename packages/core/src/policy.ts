import { type IsolationLevel, ukEnvProblem } from "@berth/contracts";

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
 * silently ran without its data would be worse than a refusal. A unikernel's environment is
 * `env.NAME="value"` tokens on its kernel command line: QEMU's arguments, which any process on
 * the host can read in /proc, so no secret goes there; and the line carries printable ASCII only,
 * within a budget (ukEnvProblem). It runs the one program linked into it: no command, no args.
 * Only the fields given are checked (an update names what it changes).
 */
export function unsupportedAtLevel(
  level: IsolationLevel,
  spec: {
    volumes?: readonly unknown[];
    secretNames?: readonly string[];
    command?: readonly string[];
    args?: readonly string[];
    env?: Record<string, string>;
  },
): string | null {
  if (level !== "container" && (spec.volumes?.length ?? 0) > 0)
    return `volumes: isolation level "${level}" does not mount volumes yet; use level "container" or remove the volumes`;
  if (level !== "unikernel") return null;
  const [secret] = spec.secretNames ?? [];
  if (secret !== undefined)
    return `secrets.${secret}: isolation level "unikernel" gets its environment on its kernel command line, which the host's process list shows; secrets go only to "container" or "microvm"`;
  for (const field of ["command", "args"] as const)
    if ((spec[field]?.length ?? 0) > 0)
      return `${field}: a unikernel runs the one program linked into it; there is no ${field} to give it (leave ${field} empty, or use level "container" or "microvm")`;
  return spec.env ? ukEnvProblem(spec.env) : null;
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
