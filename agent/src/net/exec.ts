import { execFile } from "node:child_process";

/** A system command (ip, nft) failed; the message carries its stderr, which says why. */
export class NetCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(
      `${command} failed${exitCode === null ? "" : ` (exit ${exitCode})`}: ${stderr.trim().slice(0, 500)}`,
    );
    this.name = "NetCommandError";
  }
}

/** Runs a command (optionally feeding stdin) and resolves with its stdout; rejects with its stderr. */
export function run(file: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 10_000, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = (err as { code?: unknown }).code;
        const why = stderr || (err as Error).message;
        reject(new NetCommandError([file, ...args].join(" "), why, typeof code === "number" ? code : null));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
