/** Exit codes of `berth-agent`: 0 ok, 1 failure (network, server, probe), 2 bad usage. */
export const exitCodes = { ok: 0, error: 1, usage: 2 } as const;

/** A mistake of whoever ran the command (flag, environment, state file); exit code 2. */
export class UsageError extends Error {
  readonly exitCode = exitCodes.usage;
  override name = "UsageError";
}

/** The control plane answered with an error (`{code, message}` JSON) or not at all. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
