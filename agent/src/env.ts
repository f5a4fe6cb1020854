import { z } from "zod";
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
  };
}
