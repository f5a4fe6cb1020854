import { readVmBenchArgs, type VmBenchArgs } from "../lib/vm-args";

/** memoryMiB is the deployment's: the guest gets min(it, the artifact's 32 MiB). */
export type BenchArgs = VmBenchArgs;

export const readArgs = (argv: string[]): BenchArgs =>
  readVmBenchArgs(argv, {
    script: "bench:unikernel",
    extraPorts: 0,
    defaults: {
      instances: 20,
      idle: 10,
      memoryMiB: 64,
      // its own pool and host ports, apart from the micro-VM bench's (10.88/16, 13000-13099)
      subnet: "10.89.0.0/16",
      ports: "13100-13199",
      // a unikernel answers within a few hundred ms: poll finely, and retry a lost SYN quickly
      pollMs: 5,
      connectTimeoutMs: 100,
      bootTimeoutS: { default: 30, min: 2 },
      timeoutS: 900,
    },
  });
