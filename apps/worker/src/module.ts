/** A part of the daemon with its own lifecycle; stopped in reverse order, each on its own. */
export type Module = { name: string; start(): Promise<void>; stop(): Promise<void> };

export async function runModules(
  modules: Module[],
  opts: { shutdownTimeoutMs: number; onStopped?: () => Promise<void> },
) {
  const started: Module[] = [];
  for (const m of modules) {
    await m.start();
    started.push(m);
    console.log(`worker: ${m.name} started`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`worker: ${signal}, stopping`);
    // If a module hangs on close, exit anyway: BullMQ's lock expiry hands its jobs to another worker.
    setTimeout(() => {
      console.error(`worker: not stopped within ${opts.shutdownTimeoutMs} ms, exiting`);
      process.exit(1);
    }, opts.shutdownTimeoutMs).unref();
    for (const m of started.reverse()) {
      try {
        await m.stop();
      } catch (err) {
        console.error(`worker: stopping ${m.name} failed: ${(err as Error).message}`);
      }
    }
    await opts.onStopped?.();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
