// The worker and the sim agents as real child processes, so that a test can kill -9 them.
import { type ChildProcess, fork, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AgentsReply, AgentsRequest, RunningInstance } from "./agents-child";
import { deadMansSwitch } from "./services";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const workerMain = fileURLToPath(new URL("../main.ts", import.meta.url));
const agentsChild = fileURLToPath(new URL("./agents-child.ts", import.meta.url));

/** The last lines a process wrote, for the message of a failed test. */
class Tail {
  private lines: string[] = [];
  add(b: Buffer) {
    this.lines.push(...b.toString().split("\n").filter(Boolean));
    if (this.lines.length > 200) this.lines = this.lines.slice(-200);
  }
  get text() {
    return this.lines.join("\n");
  }
}

/** `apps/worker/src/main.ts` with its own environment; start() again after a kill. */
export class WorkerProcess {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  readonly tail = new Tail();
  starts = 0;

  constructor(private readonly env: Record<string, string>) {}

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null)
      throw new Error("the worker already runs");
    this.starts++;
    const proc = spawn(process.execPath, ["--import", "tsx", workerMain], {
      cwd: root,
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    // if this process dies without stopping it, it must not keep working on a deleted database
    const guard = deadMansSwitch(`kill -9 ${proc.pid} 2>/dev/null`);
    proc.once("exit", () => guard.fire());
    this.exited = new Promise((r) => proc.once("exit", () => r()));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker not ready in ${timeoutMs} ms:\n${this.tail.text}`)),
        timeoutMs,
      );
      proc.stdout?.on("data", (b: Buffer) => {
        this.tail.add(b);
        // the last module main.ts starts
        if (b.toString().includes("worker: reconcile started")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${signal ?? code}) before it was ready:\n${this.tail.text}`));
      });
    });
    proc.stderr?.on("data", (b: Buffer) => this.tail.add(b));
    await ready;
  }

  /** SIGKILL: no shutdown hook runs, whatever the worker was doing stops mid-way. */
  async kill9(): Promise<void> {
    if (this.proc?.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
  }

  killNow() {
    this.proc?.kill("SIGKILL");
  }
}

type Req = AgentsRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** One child process holding one or more sim agents (agents-child.ts). */
export class AgentsProcess {
  private readonly proc: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: AgentsReply) => void; reject: (e: Error) => void }
  >();
  private readonly exited: Promise<void>;
  hostIds: string[] = [];

  constructor(readonly label: string) {
    this.proc = fork(agentsChild, [], {
      cwd: root,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.exited = new Promise((r) => this.proc.once("exit", () => r()));
    this.proc.on("message", (m: AgentsReply) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.type === "error") w?.reject(new Error(`${label}: ${m.message}`));
      else w?.resolve(m);
    });
    this.proc.once("exit", (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`${label} exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  get alive() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private request(req: Req): Promise<AgentsReply> {
    if (!this.alive) return Promise.reject(new Error(`${this.label} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.proc.send({ ...req, id });
    });
  }

  async start(opts: Omit<Extract<Req, { type: "start" }>, "type">): Promise<string[]> {
    const r = await this.request({ type: "start", ...opts });
    if (r.type !== "started") throw new Error(`${this.label}: unexpected reply ${r.type}`);
    this.hostIds = r.hostIds;
    return r.hostIds;
  }

  /** What the sim drivers of this process run right now (the ground truth of "running"). */
  async list(): Promise<RunningInstance[]> {
    const r = await this.request({ type: "list" });
    if (r.type !== "list") throw new Error(`${this.label}: unexpected reply ${r.type}`);
    return r.instances;
  }

  async kill9(): Promise<void> {
    if (this.alive) this.proc.kill("SIGKILL");
    await this.exited;
  }

  killNow() {
    if (this.alive) this.proc.kill("SIGKILL");
  }
}
