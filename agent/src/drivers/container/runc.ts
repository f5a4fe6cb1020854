// The runc command line, with the driver's own state root so it never sees other runtimes' containers.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export type RuncState = {
  id: string;
  pid: number;
  status: "created" | "running" | "paused" | "stopped" | "creating";
};

export class Runc {
  constructor(
    readonly bin: string,
    readonly root: string,
  ) {}

  private async exec(args: string[]): Promise<string> {
    const { stdout } = await run(this.bin, ["--root", this.root, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  /** null when runc has no such container. */
  async state(id: string): Promise<RuncState | null> {
    try {
      return JSON.parse(await this.exec(["state", id])) as RuncState;
    } catch (err) {
      if (/does not exist|not exist/.test(String((err as { stderr?: string }).stderr ?? err))) return null;
      throw err;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = await this.exec(["list", "--format", "json"]);
    return (JSON.parse(out) as RuncState[] | null) ?? [];
  }

  /** Signals the container's init (tini), which forwards it to the workload. */
  async kill(id: string, signal: "TERM" | "KILL"): Promise<void> {
    await this.exec(["kill", id, signal]).catch(() => {});
  }

  async delete(id: string): Promise<void> {
    await this.exec(["delete", "--force", id]).catch(() => {});
  }
}
