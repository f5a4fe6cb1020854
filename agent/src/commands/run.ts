import { Agent } from "../agent";
import type { RunArgs } from "../args";
import { DiskGc } from "../disk-gc";
import {
  containerLogsDir,
  imageStoreOf,
  microvmDataDir,
  microvmLogsDir,
  selectDriver,
  unikernelLogsDir,
  volumeStoreOf,
} from "../drivers";
import type { AgentEnv } from "../env";
import { UsageError } from "../errors";
import { describeHost } from "../host-info";
import type { Log } from "../log";
import { probeHost } from "../probe";
import { sleep } from "../retry";
import { readState, stateExists } from "../state";
import { defaultAddress } from "./join";

/** After SIGTERM, whatever still hangs (a job, the control plane) gets this long. */
const hardStopMs = 10_000;

/** Resolves with the first SIGTERM or SIGINT, then stops listening. */
function nextSignal(): { promise: Promise<string>; cancel: () => void } {
  let onSignal: (s: NodeJS.Signals) => void = () => {};
  const promise = new Promise<string>((resolve) => {
    onSignal = (s) => resolve(s);
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
  return {
    promise,
    cancel: () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}

/** `berth-agent run`: heartbeat and consume this host's queue until SIGTERM or SIGINT. */
export async function runCommand(args: RunArgs, env: AgentEnv, log: Log): Promise<number> {
  const signal = nextSignal();
  let received: string | undefined;
  const woken = new AbortController();
  void signal.promise.then((s) => {
    received = s;
    woken.abort();
  });
  if (args.waitForJoin && !(await stateExists(args.stateFile))) {
    // `npm start` runs the agent before anyone joined it; wait instead of failing the others.
    log.info(`not joined yet: waiting for ${args.stateFile} (run \`berth-agent join\`)`);
    while (!received && !(await stateExists(args.stateFile))) await sleep(2000, woken.signal).catch(() => {});
    if (received) return 0;
  }
  const state = await readState(args.stateFile);
  if (state.sim !== args.sim)
    throw new UsageError(
      state.sim
        ? `host ${state.hostId} joined as a sim host: run it with --sim`
        : `host ${state.hostId} joined as a real host: --sim needs a host joined with --sim (it carries the label sim=true)`,
    );
  const probe = await probeHost(env);
  // one store for the container driver (mounts) and the agent (deletes what tenants deleted)
  const volumes = args.sim ? undefined : volumeStoreOf(env.dataDir);
  // one store for the drivers (pulls, starts) and the disk sweep, so that they share its locks
  const images = args.sim ? undefined : imageStoreOf(env.dataDir);
  const driver = await selectDriver({
    sim: args.sim,
    hostId: state.hostId,
    simDelayMs: args.simDelayMs,
    dataDir: env.dataDir,
    subnet: env.subnet,
    ports: env.ports,
    hostAddress: env.address ?? defaultAddress(),
    log,
    restore: true,
    accelerator: probe.accelerator,
    volumes,
    images,
  });
  const host = describeHost(probe, driver);
  if (host.capabilities.isolationLevels.length === 0)
    log.warn("this agent offers no isolation level (see the warnings above): nothing will be placed here");
  const agent = new Agent({
    state,
    driver,
    log,
    host,
    concurrency: env.concurrency,
    ...(args.sim
      ? {}
      : {
          volumes,
          instanceLogsDirs: [
            containerLogsDir(env.dataDir),
            microvmLogsDir(env.dataDir),
            unikernelLogsDir(env.dataDir),
          ],
        }),
  });
  await agent.start();
  const gc = images
    ? new DiskGc({
        ...env.gc,
        driver,
        images,
        microvmDir: microvmDataDir(env.dataDir),
        dataDir: env.dataDir,
        log: log.child({ module: "disk-gc" }),
      })
    : undefined;
  gc?.start();
  // `kill -USR2 <agent>` (systemctl kill -s USR2 berth-agent): a sweep now, logged as any other.
  const sweepNow = () => void gc?.sweep("signal");
  process.on("SIGUSR2", sweepNow);
  const name = received ?? (await signal.promise);
  process.off("SIGUSR2", sweepNow);
  log.info(`${name}: stopping`);
  const hard = setTimeout(() => {
    log.error(`not stopped within ${hardStopMs} ms: exiting`);
    process.exit(1);
  }, hardStopMs);
  hard.unref();
  await agent.stop();
  await gc?.stop();
  clearTimeout(hard);
  return 0;
}
