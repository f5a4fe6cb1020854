import { z } from "zod";
import { instanceState, isolationLevel, uuid } from "./common";

// The protocol between the node agent and the control plane (HTTP, JSON, host token as bearer).

export const hostCapacity = z.strictObject({
  cpuMillis: z.number().int().min(1).max(10_000_000),
  memoryMiB: z.number().int().min(1).max(100_000_000),
  maxInstances: z.number().int().min(1).max(100_000),
});

export const hostCapabilities = z.strictObject({
  isolationLevels: z.array(isolationLevel).max(3),
  /** "kvm" or "tcg" when QEMU is usable; null when the host cannot run virtual machines. */
  accelerator: z.enum(["kvm", "tcg"]).nullable(),
  /** The guest kernel micro-VMs boot (e.g. "6.1.0-56-cloud-amd64"); null without the microvm level. */
  guestKernel: z.string().max(100).nullable().default(null),
  ociRuntime: z.string().max(200).nullable(),
  cgroup: z.enum(["v1", "v2"]).nullable(),
  /** The agent runs the sim driver (scale tests only): it launches nothing. */
  sim: z.boolean().default(false),
});

const labels = z
  .record(z.string().regex(/^[a-z0-9.-]{1,63}$/, "must be a label key"), z.string().max(63))
  .refine((l) => Object.keys(l).length <= 32, "must have at most 32 labels");

export const joinRequest = z.strictObject({
  joinToken: z.string().min(20).max(200),
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/, "must be a host name of 1 to 63 characters"),
  address: z.string().min(1).max(255),
  labels: labels.default({}),
  capacity: hostCapacity,
  capabilities: hostCapabilities,
});
export type JoinRequest = z.infer<typeof joinRequest>;

export const joinResponse = z.object({
  hostId: uuid,
  hostToken: z.string().describe("bearer token for the agent endpoints; shown once"),
  redis: z.object({
    url: z.string().describe("redis://host:port/db, without credentials"),
    username: z.string(),
    password: z.string(),
  }),
  queue: z.object({ prefix: z.string(), name: z.string() }),
  heartbeatIntervalMs: z.number(),
});
export type JoinResponse = z.infer<typeof joinResponse>;

const maxPids = 4_194_304; // the kernel's largest pid_max

/** cgroup usage of one running instance, sampled by its agent for the heartbeat. */
export const instanceMetrics = z.strictObject({
  cpuMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe("cpu time used since the start"),
  cpuPercent: z
    .number()
    .min(0)
    .max(100_000)
    .nullable()
    .describe("cpu since the previous sample, 100 = one full core; null on the first sample"),
  memoryBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  memoryLimitBytes: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .nullable()
    .describe("null: no limit"),
  pids: z.number().int().min(0).max(maxPids),
  pidsLimit: z.number().int().min(0).max(maxPids).nullable().describe("null: no limit"),
});
export type InstanceMetrics = z.infer<typeof instanceMetrics>;

export const instanceReport = z.strictObject({
  instanceId: uuid,
  generation: z.number().int().min(1),
  state: instanceState,
  reason: z.string().max(1000).optional(),
  exitCode: z.number().int().min(-1).max(255).optional(),
  endpoints: z.array(z.string().max(200)).max(32).optional(),
  /** The virtual machine levels: the accelerator the instance runs with. */
  accelerator: z.enum(["kvm", "tcg"]).optional(),
  /** Heartbeats only, for running instances of drivers that can measure them. */
  metrics: instanceMetrics.optional(),
});
export type InstanceReport = z.infer<typeof instanceReport>;

export const heartbeatRequest = z.strictObject({
  capacity: hostCapacity,
  capabilities: hostCapabilities,
  /** Everything the agent runs or knows of, so the control plane can reconcile. */
  instances: z.array(instanceReport).max(100_000),
  /** The ids of the volumes whose data this host holds, so the control plane can name the deleted ones. */
  volumes: z.array(uuid).max(100_000).default([]),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequest>;

export const heartbeatResponse = z.object({
  /** Instances the agent runs that nobody wants: stop them. */
  stop: z.array(z.object({ instanceId: uuid, generation: z.number() })),
  /** Volumes the host holds that no longer exist (deleted by their tenant): delete their data. */
  removeVolumes: z.array(uuid).default([]),
  heartbeatIntervalMs: z.number(),
});

export const reportResponse = z.object({ decision: z.enum(["apply", "duplicate", "stale", "invalid"]) });

export const instanceSpecDto = z.object({
  instanceId: uuid,
  generation: z.number(),
  tenantId: uuid,
  deploymentId: uuid,
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()),
  args: z.array(z.string()),
  /**
   * The deployment's env with its secrets' values added (never a name in both): the one place a
   * secret is returned in clear, to the agent of the host the instance is assigned to. Keep it out
   * of logs and of anything written outside the instance's 0600/0700 files.
   */
  env: z.record(z.string(), z.string()),
  ports: z.array(z.object({ port: z.number(), protocol: z.enum(["tcp", "udp"]) })),
  cpuMillis: z.number(),
  memoryMiB: z.number(),
  isolation: isolationLevel,
  /** The tenant's credentials for the image's registry, when it stored some. */
  registryAuth: z.object({ username: z.string(), password: z.string() }).optional(),
  /** The tenant's volumes to mount: the agent creates each (of `sizeMiB`) on first use. */
  volumes: z
    .array(
      z.object({
        volumeId: uuid,
        name: z.string(),
        mountPath: z.string(),
        sizeMiB: z.number(),
        readOnly: z.boolean(),
      }),
    )
    .default([]),
});
export type InstanceSpecDto = z.infer<typeof instanceSpecDto>;
