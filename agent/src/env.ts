import { z } from "zod";
import type { DiskGcPolicy } from "./disk-gc";
import { UsageError } from "./errors";

// The agent's only reader of process.env; everything else receives an AgentEnv.
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  /** Where `join` writes and `run` reads the host's identity. */
  BERTH_AGENT_STATE: z.string().min(1).default("/var/lib/berth/agent.json"),
  /** Images, instances, networks and volumes of this host. */
  BERTH_AGENT_DATA: z.string().min(1).default("/var/lib/berth"),
  /** The address written into endpoints; default: the address the host joined with, else its first external IPv4. */
  BERTH_AGENT_ADDRESS: z.string().min(1).max(255).optional(),
  /** The pool tenant networks come from; each tenant gets a /24 of it on this host. */
  BERTH_AGENT_SUBNET: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 10.88.0.0/16")
    .default("10.88.0.0/16"),
  /** Host ports published instance ports are mapped to, MIN-MAX. */
  BERTH_AGENT_PORTS: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, "must be a range such as 20000-29999")
    .default("20000-29999"),
  BERTH_AGENT_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Instances this host accepts at most, whatever its cpu and memory say. */
  BERTH_AGENT_MAX_INSTANCES: int(1, 100_000).default(100),
  /** Memory kept for the host itself; default: 10 % of RAM, at least 1 GiB, at most half. */
  BERTH_AGENT_MEMORY_RESERVE_MIB: int(0, 100_000_000).optional(),
  /** Jobs of this host's queue handled at once. */
  BERTH_AGENT_CONCURRENCY: int(1, 1000).default(8),
  /** Timeout of each `--version` probe. */
  BERTH_AGENT_PROBE_TIMEOUT_MS: int(100, 60_000).default(3000),
  /**
   * A guest kernel (and optional initrd) to boot under KVM to prove KVM really works. Without
   * it the agent cannot prove that, and reports "tcg" wherever QEMU exists.
   */
  BERTH_AGENT_KVM_PROBE_KERNEL: z.string().min(1).optional(),
  BERTH_AGENT_KVM_PROBE_INITRD: z.string().min(1).optional(),
  BERTH_AGENT_KVM_PROBE_TIMEOUT_MS: int(100, 120_000).default(5000),
  /** The disk sweep (docs/images.md): seconds between two sweeps; 0 turns the loop off. */
  BERTH_AGENT_GC_INTERVAL_S: int(0, 30 * 86_400).default(3600),
  /** An image or root disk no instance uses and nobody used for this long goes at the next sweep. */
  BERTH_AGENT_GC_UNUSED_AGE_S: int(60, 365 * 86_400).default(7 * 86_400),
  /** Nothing used more recently than this is deleted, whatever the disk says. */
  BERTH_AGENT_GC_MIN_AGE_S: int(0, 86_400).default(600),
  /** Disk use (percent of the data directory's filesystem) that triggers a sweep at once... */
  BERTH_AGENT_GC_HIGH_PCT: int(1, 100).default(85),
  /** ...which then deletes the least recently used unused images down to this. */
  BERTH_AGENT_GC_LOW_PCT: int(0, 99).default(80),
});

export type AgentEnv = {
  stateFile: string;
  dataDir: string;
  address: string | undefined;
  subnet: string;
  ports: { min: number; max: number };
  logLevel: "debug" | "info" | "warn" | "error";
  maxInstances: number;
  memoryReserveMiB: number | undefined;
  concurrency: number;
  probeTimeoutMs: number;
  kvmProbe: { kernel: string; initrd: string | undefined; timeoutMs: number } | undefined;
  gc: DiskGcPolicy;
};

const blankToUndefined = (source: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ""));

export function readEnv(source: Record<string, string | undefined> = process.env): AgentEnv {
  const parsed = schema.safeParse(blankToUndefined(source));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new UsageError(`invalid environment: ${issues}`);
  }
  const e = parsed.data;
  if (e.BERTH_AGENT_GC_LOW_PCT >= e.BERTH_AGENT_GC_HIGH_PCT)
    throw new UsageError(
      `invalid environment: BERTH_AGENT_GC_LOW_PCT (${e.BERTH_AGENT_GC_LOW_PCT}) must be below BERTH_AGENT_GC_HIGH_PCT (${e.BERTH_AGENT_GC_HIGH_PCT})`,
    );
  return {
    stateFile: e.BERTH_AGENT_STATE,
    dataDir: e.BERTH_AGENT_DATA,
    address: e.BERTH_AGENT_ADDRESS,
    subnet: e.BERTH_AGENT_SUBNET,
    ports: (([min, max]) => ({ min: Number(min), max: Number(max) }))(e.BERTH_AGENT_PORTS.split("-")),
    logLevel: e.BERTH_AGENT_LOG_LEVEL,
    maxInstances: e.BERTH_AGENT_MAX_INSTANCES,
    memoryReserveMiB: e.BERTH_AGENT_MEMORY_RESERVE_MIB,
    concurrency: e.BERTH_AGENT_CONCURRENCY,
    probeTimeoutMs: e.BERTH_AGENT_PROBE_TIMEOUT_MS,
    kvmProbe: e.BERTH_AGENT_KVM_PROBE_KERNEL
      ? {
          kernel: e.BERTH_AGENT_KVM_PROBE_KERNEL,
          initrd: e.BERTH_AGENT_KVM_PROBE_INITRD,
          timeoutMs: e.BERTH_AGENT_KVM_PROBE_TIMEOUT_MS,
        }
      : undefined,
    gc: {
      intervalMs: e.BERTH_AGENT_GC_INTERVAL_S * 1000,
      unusedMs: e.BERTH_AGENT_GC_UNUSED_AGE_S * 1000,
      minAgeMs: e.BERTH_AGENT_GC_MIN_AGE_S * 1000,
      highPct: e.BERTH_AGENT_GC_HIGH_PCT,
      lowPct: e.BERTH_AGENT_GC_LOW_PCT,
    },
  };
}
