import { versionLine } from "./exec";

/** The OCI runtime the container driver will use: `runc --version`'s first line, or null. */
export function probeOciRuntime(opts: { timeoutMs: number; binary?: string }): Promise<string | null> {
  return versionLine(opts.binary ?? "runc", opts.timeoutMs);
}
