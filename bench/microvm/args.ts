import { readVmBenchArgs, type VmBenchArgs } from "../lib/vm-args";

export type BenchArgs = VmBenchArgs;

/** The micro-VM bench: its warm-up start takes a port, and the raw boots' hostfwd the last one. */
export const readArgs = (argv: string[]): BenchArgs =>
  readVmBenchArgs(argv, {
    script: "bench:microvm",
    extraPorts: 2,
    defaults: {
      instances: 10,
      idle: 5,
      memoryMiB: 128,
      subnet: "10.88.0.0/16",
      ports: "13000-13099",
      pollMs: 10,
      connectTimeoutMs: 200,
      bootTimeoutS: { default: 60, min: 5 },
      timeoutS: 1800,
    },
  });
