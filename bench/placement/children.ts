// The parent's side of the child processes (child.ts): typed requests, one reply each.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AgentPoolOptions, RunningInstance } from "./agents";
import type { SchedulerOptions } from "./schedulers";
import type { ProcessReading, TimingSummary } from "./stats";

type Req =
  | { type: "agents"; options: AgentPoolOptions }
  | { type: "schedulers"; options: SchedulerOptions }
  | { type: "meter-start" }
  | { type: "stats" }
  | { type: "list" }
  | { type: "stop" };
export type ChildRequest = Req & { id: number };

export type ChildReply =
  | { id: number; type: "ok" }
  | { id: number; type: "error"; message: string }
  | { id: number; type: "agents"; hostIds: string[] }
  | {
      id: number;
      type: "stats";
      process: ProcessReading;
      timings: Record<string, TimingSummary>;
      errors: Record<string, number>;
    }
  | { id: number; type: "list"; instances: RunningInstance[] };

const childFile = fileURLToPath(new URL("./child.ts", import.meta.url));

export class Child {
  private readonly proc: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: ChildReply) => void; reject: (e: Error) => void }
  >();
  private exited = false;

  constructor(
    readonly role: string,
    opts: { cpuProfDir?: string } = {},
  ) {
    const execArgv = ["--import", "tsx"];
    // one profile per thread, named CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile (thread 0 is the main one)
    if (opts.cpuProfDir) execArgv.push("--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`);
    this.proc = fork(childFile, [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.proc.on("message", (m: ChildReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.type === "error") w.reject(new Error(`${role}: ${m.message}`));
      else w.resolve(m);
    });
    this.proc.on("exit", (code, signal) => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new Error(`${role} exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  get pid() {
    return this.proc.pid;
  }

  request<T extends ChildReply["type"]>(req: Req): Promise<Extract<ChildReply, { type: T }>> {
    if (this.exited) return Promise.reject(new Error(`${this.role} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: ChildReply) => void, reject });
      this.proc.send({ ...req, id });
    });
  }

  /** Asks the child to stop, then disconnects; kills it (by its pid) if it does not exit in time. */
  async close(timeoutMs = 20_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.proc.once("exit", () => r()));
    await Promise.race([
      this.request<"ok">({ type: "stop" }).catch(() => {}),
      new Promise((r) => setTimeout(r, timeoutMs)),
    ]);
    if (this.proc.connected) this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
