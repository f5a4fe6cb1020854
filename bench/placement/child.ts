// A child process of the benchmark: holds a pool of sim agents or some scheduler modules, and
// answers the parent over IPC. It exits when the parent goes away.
import { type AgentPool, startAgentPool } from "./agents";
import type { ChildReply, ChildRequest } from "./children";
import { startSchedulers } from "./schedulers";
import { processMeter } from "./stats";

const meter = processMeter();
// the system's own error output: the first occurrence of each in full, then only counted
const errors = new Map<string, number>();
const consoleError = console.error.bind(console);
console.error = (...a: unknown[]) => {
  const key = (
    a
      .map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : String(x)))
      .join(" ")
      .split("\n")[0] ?? ""
  ).slice(0, 160);
  const seen = errors.get(key) ?? 0;
  errors.set(key, seen + 1);
  if (seen === 0) consoleError(...a);
};
let pool: AgentPool | undefined;
let schedulers: { stop(): Promise<void> } | undefined;
let stopping: Promise<void> | undefined;

const send = (m: ChildReply) => process.send?.(m);

function stopAll() {
  stopping ??= (async () => {
    await pool?.stop();
    await schedulers?.stop();
  })();
  return stopping;
}

async function handle(m: ChildRequest): Promise<ChildReply> {
  switch (m.type) {
    case "agents":
      pool = await startAgentPool(m.options);
      return { id: m.id, type: "agents", hostIds: pool.hostIds };
    case "schedulers":
      schedulers = await startSchedulers(m.options);
      return { id: m.id, type: "ok" };
    case "meter-start":
      meter.start();
      return { id: m.id, type: "ok" };
    case "stats":
      return {
        id: m.id,
        type: "stats",
        process: meter.read(),
        timings: pool?.timings.summary() ?? {},
        errors: Object.fromEntries(errors),
      };
    case "list":
      return { id: m.id, type: "list", instances: (await pool?.list()) ?? [] };
    case "stop":
      await stopAll();
      return { id: m.id, type: "ok" };
  }
}

process.on("message", (m: ChildRequest) => {
  handle(m).then(send, (err: Error) => send({ id: m.id, type: "error", message: err.stack ?? err.message }));
});
process.on("disconnect", () => {
  void stopAll().finally(() => process.exit(0));
});
// the parent owns our lifetime; a Ctrl-C reaches the whole process group, let the parent decide
process.on("SIGINT", () => {});
