// The command line of the two virtual machine benchmarks (bench:microvm, bench:unikernel): the
// same flags, each bench with its own defaults (its pool, ports, sizes and timings).
import { parseArgs } from "node:util";
import { intFlag } from "./results";

export type VmBenchArgs = {
  /** Sequential driver starts, each timed from start() to the first HTTP 200. */
  instances: number;
  /** Idle instances up at once for the host-memory figure; 0 skips it. */
  idle: number;
  /** How long the idle instances sit before their memory is read. */
  settleS: number;
  /** "auto": the agent's cached KVM probe answer (/run/berth/accelerator.json), else tcg. */
  accelerator: "auto" | "kvm" | "tcg";
  cpuMillis: number;
  memoryMiB: number;
  subnet: string;
  /** The driver's published ports (plus `extraPorts` the bench itself takes, at the end). */
  portRange: { min: number; max: number };
  pollMs: number;
  connectTimeoutMs: number;
  /** Per start: no HTTP 200 within this is a failed sample. */
  bootTimeoutS: number;
  timeoutS: number;
  record: boolean;
};

type Defaults = {
  instances: number;
  idle: number;
  memoryMiB: number;
  subnet: string;
  ports: string;
  pollMs: number;
  connectTimeoutMs: number;
  bootTimeoutS: { default: number; min: number };
  timeoutS: number;
};

export function readVmBenchArgs(
  argv: string[],
  o: { script: string; defaults: Defaults; extraPorts: number },
): VmBenchArgs {
  const usage = `npm run ${o.script} -- [--instances N] [--idle K] [--settle-s S] [--accelerator auto|kvm|tcg]
  [--cpu-millis X] [--memory-mib Y] [--subnet CIDR] [--ports MIN-MAX] [--poll-ms MS]
  [--connect-timeout-ms MS] [--boot-timeout-s S] [--timeout-s S] [--no-record]`;
  const int = intFlag(usage);
  const d = o.defaults;
  const { values } = parseArgs({
    args: argv,
    options: {
      instances: { type: "string" },
      idle: { type: "string" },
      "settle-s": { type: "string" },
      accelerator: { type: "string" },
      "cpu-millis": { type: "string" },
      "memory-mib": { type: "string" },
      subnet: { type: "string" },
      ports: { type: "string" },
      "poll-ms": { type: "string" },
      "connect-timeout-ms": { type: "string" },
      "boot-timeout-s": { type: "string" },
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
  const ports = (values.ports ?? d.ports).match(/^(\d+)-(\d+)$/);
  if (!ports) throw new Error(`--ports: MIN-MAX\n${usage}`);
  const portRange = { min: Number(ports[1]), max: Number(ports[2]) };
  const accelerator = values.accelerator ?? "auto";
  if (accelerator !== "auto" && accelerator !== "kvm" && accelerator !== "tcg")
    throw new Error(`--accelerator: auto, kvm or tcg\n${usage}`);
  const args: VmBenchArgs = {
    instances: int("instances", values.instances, d.instances, 1, 500),
    idle: int("idle", values.idle, d.idle, 0, 200),
    settleS: int("settle-s", values["settle-s"], 5, 0, 600),
    accelerator,
    // A whole CPU: the VMM's cgroup quota then holds one vCPU's TCG thread back little, and both
    // levels' starts are held back alike.
    cpuMillis: int("cpu-millis", values["cpu-millis"], 1000, 100, 64_000),
    memoryMiB: int("memory-mib", values["memory-mib"], d.memoryMiB, 16, 65_536),
    subnet: values.subnet ?? d.subnet,
    portRange,
    pollMs: int("poll-ms", values["poll-ms"], d.pollMs, 0, 1000),
    connectTimeoutMs: int("connect-timeout-ms", values["connect-timeout-ms"], d.connectTimeoutMs, 1, 10_000),
    bootTimeoutS: int(
      "boot-timeout-s",
      values["boot-timeout-s"],
      d.bootTimeoutS.default,
      d.bootTimeoutS.min,
      600,
    ),
    timeoutS: int("timeout-s", values["timeout-s"], d.timeoutS, 10, 86_400),
    record: !values["no-record"],
  };
  const needed = args.instances + args.idle + o.extraPorts;
  if (portRange.max - portRange.min + 1 < needed)
    throw new Error(`--ports ${values.ports}: ${portRange.max - portRange.min + 1} ports for ${needed} uses`);
  if (args.idle > 250) throw new Error("--idle: at most 250 (one tenant's /24)");
  return args;
}
