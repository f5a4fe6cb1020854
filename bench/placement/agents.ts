// A pool of sim agents in one process: each with its own join token, host token, Redis ACL user,
// Redis connections and queue, exactly as separate machines would have.
import { Agent, enroll, type HostInfo, SimDriver, silentLog } from "@berth/agent";
import { routeKey, Timings } from "./stats";

export type HostToJoin = { token: string; name: string };

export type AgentPoolOptions = {
  server: string;
  hosts: HostToJoin[];
  host: HostInfo;
  simDelayMs: number;
  /** Jobs each agent handles at once; undefined = the Agent's default. */
  concurrency?: number;
  /** Enrollments and agent starts in flight at once. */
  parallel?: number;
};

export type RunningInstance = { hostId: string; instanceId: string; state: string };

export type AgentPool = {
  hostIds: string[];
  /** Client-side latency of every control-plane call the agents made, per route. */
  timings: Timings;
  list(): Promise<RunningInstance[]>;
  stop(): Promise<void>;
};

/** Runs `fn` over `items` with at most `parallel` in flight; the first failure rejects. */
export async function inParallel<T, R>(items: T[], parallel: number, fn: (t: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return out;
}

export async function startAgentPool(opts: AgentPoolOptions): Promise<AgentPool> {
  const timings = new Timings();
  const timedFetch: typeof fetch = async (input, init) => {
    const t0 = performance.now();
    try {
      return await fetch(input, init);
    } finally {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      timings.add(routeKey(init?.method ?? "GET", url), performance.now() - t0);
    }
  };
  const agents: Agent[] = [];
  const drivers: SimDriver[] = [];
  const stop = async () => {
    await Promise.allSettled(agents.map((a) => a.stop()));
  };
  try {
    await inParallel(opts.hosts, opts.parallel ?? 16, async (h) => {
      const state = await enroll({
        server: opts.server,
        joinToken: h.token,
        name: h.name,
        address: "127.0.0.1",
        labels: { sim: "true" },
        host: opts.host,
        sim: true,
        fetch: timedFetch,
      });
      const driver = new SimDriver({ hostId: state.hostId, startDelayMs: opts.simDelayMs });
      const agent = new Agent({
        state,
        driver,
        log: silentLog,
        host: opts.host,
        fetch: timedFetch,
        concurrency: opts.concurrency,
      });
      agents.push(agent);
      drivers.push(driver);
      await agent.start();
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    hostIds: agents.map((a) => a.hostId),
    timings,
    async list() {
      const out: RunningInstance[] = [];
      for (const [i, d] of drivers.entries()) {
        const hostId = agents[i]?.hostId ?? "?";
        for (const s of await d.list()) out.push({ hostId, instanceId: s.instanceId, state: s.state });
      }
      return out;
    },
    stop,
  };
}
