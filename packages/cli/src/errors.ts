/** Exit codes: 1 an API or runtime error, 2 bad usage, 3 the deployment cannot be placed yet. */
export const exitCodes = { error: 1, usage: 2, unplaceable: 3 } as const;

/** An error the CLI reports as one line on stderr and turns into the exit code. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.error,
    /** HTTP status when the error came from the API. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, exitCodes.usage);
