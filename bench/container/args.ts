import { parseArgs } from "node:util";
import { intFlag } from "../lib/results";

export type BenchArgs = {
  /** Sequential driver starts measured to the first HTTP 200 (each followed by a raw runc run). */
  instances: number;
  /** Concurrent idle instances of the density phase; 0 skips it. */
  density: number;
  /** Tenants the density instances are spread over (a tenant's /24 holds 253 instances). */
  tenants: number;
  /** Driver starts in flight at once during the density phase. */
  concurrency: number;
  /** Resources of the measured instances and of the density instances. */
  cpuMillis: number;
  memoryMiB: number;
  densityCpuMillis: number;
  densityMemoryMiB: number;
  subnet: string;
  portRange: { min: number; max: number };
  /** Poll interval and per-attempt connect timeout of the HTTP probe. */
  pollMs: number;
  connectTimeoutMs: number;
  timeoutS: number;
  record: boolean;
};

const usage = `npm run bench:container -- [--instances N] [--density M] [--tenants T] [--concurrency C]
  [--cpu-millis X] [--memory-mib Y] [--density-cpu-millis X] [--density-memory-mib Y]
  [--subnet CIDR] [--ports MIN-MAX] [--poll-ms MS] [--connect-timeout-ms MS] [--timeout-s S] [--no-record]`;

const int = intFlag(usage);

export function readArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      instances: { type: "string" },
      density: { type: "string" },
      tenants: { type: "string" },
      concurrency: { type: "string" },
      "cpu-millis": { type: "string" },
      "memory-mib": { type: "string" },
      "density-cpu-millis": { type: "string" },
      "density-memory-mib": { type: "string" },
      subnet: { type: "string" },
      ports: { type: "string" },
      "poll-ms": { type: "string" },
      "connect-timeout-ms": { type: "string" },
      "timeout-s": { type: "string" },
      "no-record": { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const ports = (values.ports ?? "12000-12999").match(/^(\d+)-(\d+)$/);
  if (!ports) throw new Error(`--ports: MIN-MAX\n${usage}`);
  const portRange = { min: Number(ports[1]), max: Number(ports[2]) };
  const args: BenchArgs = {
    instances: int("instances", values.instances, 30, 1, 1000),
    density: int("density", values.density, 300, 0, 2000),
    tenants: int("tenants", values.tenants, 10, 1, 200),
    concurrency: int("concurrency", values.concurrency, 4, 1, 64),
    cpuMillis: int("cpu-millis", values["cpu-millis"], 250, 1, 64_000),
    memoryMiB: int("memory-mib", values["memory-mib"], 64, 4, 65_536),
    densityCpuMillis: int("density-cpu-millis", values["density-cpu-millis"], 10, 1, 64_000),
    densityMemoryMiB: int("density-memory-mib", values["density-memory-mib"], 16, 4, 65_536),
    subnet: values.subnet ?? "10.89.0.0/16",
    portRange,
    pollMs: int("poll-ms", values["poll-ms"], 2, 0, 1000),
    connectTimeoutMs: int("connect-timeout-ms", values["connect-timeout-ms"], 100, 1, 10_000),
    timeoutS: int("timeout-s", values["timeout-s"], 1200, 10, 86_400),
    record: !values["no-record"],
  };
  const free = portRange.max - portRange.min + 1;
  if (free < args.instances + args.density + 1)
    throw new Error(
      `--ports ${values.ports}: ${free} ports for ${args.instances + args.density + 1} instances`,
    );
  if (Math.ceil(args.density / args.tenants) > 250)
    throw new Error(`--tenants: at most 250 instances per tenant (a /24 each); raise --tenants`);
  return args;
}
