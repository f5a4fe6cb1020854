import { parseArgs } from "node:util";
import { intFlag } from "../lib/results";

export type BenchArgs = {
  hosts: number;
  instances: number;
  replicas: number;
  simDelayMs: number;
  schedulers: number;
  timeoutS: number;
  /** Child processes holding the sim agents; 0 = all in this process. */
  agentProcs: number;
  /** Child processes holding the scheduler modules; 0 = all in this process. */
  schedulerProcs: number;
  /** createDeployment calls in flight at once. */
  createConcurrency: number;
  /** Tenants the deployments are spread over (1 = the benchmark as specified). */
  tenants: number;
  /** Postgres pool of the API process; undefined = the API's own default (createDeps). */
  apiPool: number | undefined;
  /** Jobs each agent handles at once (the Agent's `concurrency`, BERTH_AGENT_CONCURRENCY); default the agent's 8. */
  agentConcurrency: number | undefined;
  /** End when every instance has a host instead of when every instance runs (no latency figures). */
  placementOnly: boolean;
  /** Create every instance before the schedulers start (measures the scheduler alone). */
  createFirst: boolean;
  /** Record the run in bench/results/placement.json and bench/RESULTS.md. */
  record: boolean;
  /** Directory for --cpu-prof of the child processes (the main one: run node --cpu-prof yourself). */
  cpuProfDir: string | undefined;
};

const usage = `npm run bench:placement -- [--hosts N] [--instances M] [--replicas R] [--sim-delay-ms MS]
  [--schedulers K] [--timeout-s S] [--agent-procs P] [--scheduler-procs Q] [--create-concurrency C]
  [--tenants T] [--api-pool N] [--create-first] [--placement-only] [--agent-concurrency J] [--no-record] [--cpu-prof-dir DIR]`;

const int = intFlag(usage);

export function readArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: "string" },
      instances: { type: "string" },
      replicas: { type: "string" },
      "sim-delay-ms": { type: "string" },
      schedulers: { type: "string" },
      "timeout-s": { type: "string" },
      "agent-procs": { type: "string" },
      "scheduler-procs": { type: "string" },
      "create-concurrency": { type: "string" },
      tenants: { type: "string" },
      "api-pool": { type: "string" },
      "no-record": { type: "boolean" },
      "create-first": { type: "boolean" },
      "placement-only": { type: "boolean" },
      "agent-concurrency": { type: "string" },
      "cpu-prof-dir": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const hosts = int("hosts", values.hosts, 1000, 1, 5000);
  const args: BenchArgs = {
    hosts,
    instances: int("instances", values.instances, 100_000, 1, 1_000_000),
    replicas: int("replicas", values.replicas, 50, 1, 100),
    simDelayMs: int("sim-delay-ms", values["sim-delay-ms"], 20, 0, 60_000),
    schedulers: int("schedulers", values.schedulers, 2, 1, 32),
    timeoutS: int("timeout-s", values["timeout-s"], 900, 1, 86_400),
    agentProcs: int("agent-procs", values["agent-procs"], 1, 0, 64),
    schedulerProcs: int("scheduler-procs", values["scheduler-procs"], 1, 0, 32),
    createConcurrency: int("create-concurrency", values["create-concurrency"], 4, 1, 64),
    tenants: int("tenants", values.tenants, 1, 1, 1000),
    apiPool: values["api-pool"] === undefined ? undefined : int("api-pool", values["api-pool"], 10, 1, 500),
    createFirst: values["create-first"] ?? false,
    placementOnly: values["placement-only"] ?? false,
    agentConcurrency:
      values["agent-concurrency"] === undefined
        ? undefined
        : int("agent-concurrency", values["agent-concurrency"], 8, 1, 1000),
    record: !values["no-record"],
    cpuProfDir: values["cpu-prof-dir"],
  };
  if (args.agentProcs > hosts) args.agentProcs = hosts;
  if (args.schedulerProcs > args.schedulers) args.schedulerProcs = args.schedulers;
  return args;
}
