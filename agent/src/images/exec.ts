import { spawn } from "node:child_process";

export type ExecResult = { code: number | null; stdout: string; stderr: string };

/** Runs a command without a shell; never rejects (a missing binary gives code null). */
export function exec(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<ExecResult>((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          stderr += `\n${cmd}: timed out after ${opts.timeoutMs} ms`;
          child.kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${cmd}: ${e.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command and throws its stderr (last lines) when it fails. */
export async function execOk(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}) {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args[0] ?? ""} failed: ${lastLines(r.stderr) || `exit ${r.code}`}`);
  return r;
}

export function lastLines(text: string, n = 3): string {
  return text.trim().split("\n").slice(-n).join(" / ");
}
