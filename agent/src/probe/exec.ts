import { execFile } from "node:child_process";

export type ExecResult = { code: number; stdout: string; stderr: string };

/**
 * Runs a command with a timeout and never throws: a probe that cannot run its binary (missing,
 * not executable, hung) has simply found nothing. Null means it did not finish normally.
 */
export function tryExec(file: string, args: string[], timeoutMs: number): Promise<ExecResult | null> {
  return new Promise((resolve) => {
    try {
      execFile(
        file,
        args,
        { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 256 * 1024, windowsHide: true },
        (err, stdout, stderr) => {
          if (!err) return resolve({ code: 0, stdout, stderr });
          const code = (err as { code?: unknown }).code;
          // A numeric code is an exit status; anything else (ENOENT, a kill) is "did not run".
          resolve(typeof code === "number" ? { code, stdout, stderr } : null);
        },
      );
    } catch {
      resolve(null);
    }
  });
}

/** The first non-empty line of a `--version` output, or null if the command failed. */
export async function versionLine(file: string, timeoutMs: number): Promise<string | null> {
  const r = await tryExec(file, ["--version"], timeoutMs);
  if (r?.code !== 0) return null;
  const line = r.stdout.split("\n").find((l) => l.trim() !== "");
  return line ? line.trim().slice(0, 200) : null;
}
