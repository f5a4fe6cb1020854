// What every benchmark's run.ts does around its phases: the command line it records, its
// `[bench]` lines, the stop flag set by a signal or --timeout-s, the cleanup run once (also on a
// second signal or a failure), and the machine block of its results.
import { cpus, loadavg, release, totalmem } from "node:os";
import { round } from "../placement/stats";

export const say = (s: string) => console.log(`[bench] ${s}`);

export const loadAvgNow = () => loadavg().map((x) => round(x, 2));

/** The machine a run ran on; `extra` sits between the kernel and the load averages. */
export function machineOf(loadAvgAtStart: number[], extra: Record<string, unknown> = {}) {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memGiB: round(totalmem() / 2 ** 30),
    kernel: release(),
    ...extra,
    loadAvg: loadAvgNow(),
    loadAvgAtStart,
  };
}

export function benchRun(o: {
  /** The npm script's suffix: bench:<name>. */
  name: string;
  timeoutS: number;
  /** After a first signal, how long the run may take to exit on its own before cleaning up at once. */
  hardAfterMs: number;
  cleanup: () => Promise<string[]>;
}) {
  const argv = process.argv.slice(2).join(" ");
  const command = `npm run bench:${o.name}${argv ? ` -- ${argv}` : ""}`;
  let stopping: string | null = null;
  let cleaning: Promise<string[]> | undefined;
  const cleanup = () => {
    cleaning ??= o.cleanup();
    return cleaning;
  };

  let signals = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => {
      stopping = sig;
      const hard = () =>
        void cleanup()
          .then((left) => say(left.length ? `leftovers: ${left.join(", ")}` : "cleaned up"))
          .finally(() => process.exit(130));
      if (++signals > 1) return hard();
      say(`${sig}: finishing the current step, then cleaning up (again to clean up at once)`);
      setTimeout(hard, o.hardAfterMs).unref();
    });
  setTimeout(() => {
    stopping = "timeout";
    say(`--timeout-s ${o.timeoutS} reached: finishing the current step, then cleaning up`);
  }, o.timeoutS * 1000).unref();

  /** Runs the bench's main and exits with its code; a failure is printed, then cleaned up after. */
  const start = (main: () => Promise<number>) =>
    main()
      .then((code) => process.exit(code))
      .catch(async (err) => {
        console.error(`[bench] failed: ${(err as Error).stack ?? err}`);
        const left = await cleanup().catch(() => []);
        if (left.length) console.error(`[bench] leftovers: ${left.join(", ")}`);
        process.exit(1);
      });

  return {
    command,
    cleanup,
    /** The signal or "timeout" that asked the run to stop, or null. */
    stopping: () => stopping,
    stop: () => stopping !== null,
    start,
  };
}

/** The run's end state: stopped by a signal or the timeout, else completed if `ok`. */
export function endStatus(stopping: string | null, ok: boolean) {
  return stopping === "timeout" ? "timeout" : stopping ? "interrupted" : ok ? "completed" : "failed";
}

/** Records the run unless it was interrupted or --no-record, and says where. */
export function saveRun<R extends { status: string }>(
  record: boolean,
  run: R,
  recordRun: (r: R) => { jsonPath: string; mdPath: string },
) {
  if (record && run.status !== "interrupted") {
    const { jsonPath, mdPath } = recordRun(run);
    say(`recorded in ${jsonPath} and ${mdPath}`);
  }
}
