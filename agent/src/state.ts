import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { joinResponse } from "@berth/contracts";
import { z } from "zod";
import { UsageError } from "./errors";
import { writeFileAtomic } from "./files";

/** What `join` learns once and `run` needs every time: the host's identity and credentials. */
export const agentState = z.strictObject({
  version: z.literal(1),
  server: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  hostId: joinResponse.shape.hostId,
  hostToken: z.string().min(1),
  redis: joinResponse.shape.redis,
  queue: joinResponse.shape.queue,
  heartbeatIntervalMs: z.number().int().positive(),
  /** Joined with --sim: the host carries the label sim=true and must run the sim driver. */
  sim: z.boolean().default(false),
  joinedAt: z.iso.datetime(),
});
export type AgentState = z.infer<typeof agentState>;

/**
 * Writes the state atomically: a temporary file in the same directory (created 0600, so the
 * secrets are never readable by others, not even for a moment), fsynced, then renamed over the
 * old one. A crash leaves either the old file or the new one, never half of one.
 */
export async function writeState(file: string, state: AgentState): Promise<void> {
  const text = `${JSON.stringify(agentState.parse(state), null, 2)}\n`;
  const dir = dirname(file);
  // Only a directory we create is narrowed to 0700: `--state /tmp/x.json` must not chmod /tmp.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, text, { mode: 0o600, syncDir: true });
}

export async function stateExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Reads and checks the state; refuses a file others can read, since it holds credentials. */
export async function readState(file: string): Promise<AgentState> {
  let text: string;
  try {
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0)
      throw new UsageError(
        `state file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    text = await readFile(file, "utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new UsageError(`no state file at ${file}: run \`berth-agent join\` first`);
    throw new UsageError(`cannot read state file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`state file ${file} is not JSON`);
  }
  const parsed = agentState.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new UsageError(`state file ${file} is invalid: ${issues.join("; ")}`);
  }
  return parsed.data;
}
