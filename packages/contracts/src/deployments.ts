import { z } from "zod";
import { instanceMetrics } from "./agent";
import { dnsLabel, instanceState, isoDate, isolationLevel, tenantInput, uuid } from "./common";

// host[:port]/path[:tag][@sha256:digest]; lowercase repository path as OCI requires.
const imagePattern =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const imageRef = z
  .string()
  .min(1, "must name an image")
  .max(512)
  .regex(imagePattern, "must be an OCI image reference such as 127.0.0.1:5000/examples/hello:latest");

export const envKey = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be a valid environment variable name");

/**
 * A secret: a variable the instance gets in its environment like `env`, but write-only. Its value
 * is stored sealed and never shown again; never empty, since an empty value is most often an unset
 * shell variable (`--secret TOKEN=$TOKEN`), not what anyone meant.
 */
export const secretValue = z.string().min(1, "must not be empty").max(32_768);
export const maxSecrets = 128;
const secretCount = (s: Record<string, unknown>) => Object.keys(s).length <= maxSecrets;
const secretCountMessage = `must have at most ${maxSecrets} secrets`;

/** The first name that is both an env key and a secret: one variable, two values. */
export function clashingSecret(env: Record<string, unknown>, secretNames: Iterable<string>): string | null {
  for (const name of secretNames) if (Object.hasOwn(env, name)) return name;
  return null;
}
export const secretClashMessage = "is also an env key; a name is either in env or a secret";

export const portSpec = z.strictObject({
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
});

// Where a volume may be mounted: an absolute, normalised path, not over the system's own trees.
const reservedMountPaths = /^\/(?:proc|sys|dev|etc|bin|sbin|lib|lib64|usr)?(?:\/|$)/;
export const volumeMount = z.strictObject({
  name: dnsLabel.describe("the tenant's volume; created on first use"),
  mountPath: z
    .string()
    .max(255)
    .regex(/^(\/[A-Za-z0-9._-]+)+$/, "must be an absolute path such as /data")
    .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), "must not contain . or ..")
    .refine(
      (p) => !reservedMountPaths.test(p),
      "must not be /, /proc, /sys, /dev, /etc, /bin, /sbin, /lib or /usr",
    ),
  sizeMiB: z
    .number()
    .int()
    .min(16)
    .max(1_048_576)
    .optional()
    .describe("size of the volume when this creates it (default 1024); must match an existing volume's"),
  readOnly: z.boolean().default(false),
});
export type VolumeMount = z.infer<typeof volumeMount>;

const volumeMounts = z
  .array(volumeMount)
  .max(8)
  .refine(
    (v) => new Set(v.map((m) => m.mountPath)).size === v.length,
    "must not mount two volumes at one path",
  )
  .refine((v) => new Set(v.map((m) => m.name)).size === v.length, "must not mount one volume twice");

/** What runs, without defaults: creation fills them in, an update changes only what it names. */
const runFields = {
  image: imageRef,
  command: z.array(z.string().max(4096)).max(64),
  args: z.array(z.string().max(4096)).max(256),
  env: z
    .record(envKey, z.string().max(32_768))
    .refine((e) => Object.keys(e).length <= 256, "must have at most 256 variables"),
  ports: z.array(portSpec).max(16),
  cpuMillis: z.number().int().min(10).max(64_000),
  memoryMiB: z.number().int().min(16).max(262_144),
  volumes: volumeMounts,
};

export const deploymentSpec = z.strictObject({
  name: dnsLabel,
  image: imageRef,
  command: runFields.command.default([]),
  args: runFields.args.default([]),
  env: runFields.env.default({}),
  ports: runFields.ports.default([]),
  cpuMillis: runFields.cpuMillis.default(500),
  memoryMiB: runFields.memoryMiB.default(256),
  volumes: runFields.volumes.default([]),
  secrets: z
    .record(envKey, secretValue)
    .refine(secretCount, secretCountMessage)
    .default({})
    .describe(
      "NAME to value, added to the environment of every instance; write-only: stored sealed, never returned",
    ),
  replicas: z.number().int().min(0).max(100).default(1),
  isolation: isolationLevel.optional().describe("defaults to the tenant's default isolation level"),
  hostSelector: z
    .record(z.string().regex(/^[a-z0-9.-]{1,63}$/, "must be a label key"), z.string().max(63))
    .refine((l) => Object.keys(l).length <= 16, "must have at most 16 labels")
    .default({})
    .describe('labels the host of every instance must carry, e.g. {"zone": "a"}'),
});
export type DeploymentSpec = z.infer<typeof deploymentSpec>;

export const createDeploymentInput = deploymentSpec.extend(tenantInput.shape).superRefine((d, ctx) => {
  const name = clashingSecret(d.env, Object.keys(d.secrets));
  if (name) ctx.addIssue({ code: "custom", path: ["secrets", name], message: secretClashMessage });
});

export const deploymentRef = tenantInput.extend({ deploymentId: uuid }).strict();

export const instanceDto = z.object({
  id: uuid,
  deploymentId: uuid,
  hostId: uuid.nullable(),
  ordinal: z.number(),
  generation: z.number(),
  state: instanceState,
  reason: z.string().nullable(),
  exitCode: z.number().nullable(),
  endpoints: z.array(z.string()),
  /** "kvm" or "tcg" for the virtual machine levels once started; null for containers. */
  accelerator: z.string().nullable(),
  /**
   * The latest heartbeat's usage while the instance is live; null before the first sample, after
   * the instance ends, and for drivers that measure nothing (sim). Always present in responses.
   */
  metrics: z
    .object({ ...instanceMetrics.shape, sampledAt: isoDate })
    .nullable()
    .optional(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const deploymentDto = z.object({
  id: uuid,
  tenantId: uuid,
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  ports: z.array(z.object({ port: z.number(), protocol: z.enum(["tcp", "udp"]) })),
  cpuMillis: z.number(),
  memoryMiB: z.number(),
  volumes: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean() })),
  secrets: z
    .array(z.object({ name: z.string(), updatedAt: isoDate }))
    .describe("the names of its secrets and when each was set; values are never returned"),
  replicas: z.number(),
  isolation: isolationLevel,
  hostSelector: z.record(z.string(), z.string()),
  desiredState: z.enum(["running", "stopped"]),
  generation: z.number(),
  createdAt: isoDate,
  updatedAt: isoDate,
  instances: z.array(instanceDto),
});
export type DeploymentDto = z.infer<typeof deploymentDto>;

export const scaleInput = deploymentRef.extend({ replicas: z.number().int().min(0).max(100) }).strict();

export const updateDeploymentInput = deploymentRef
  .extend(z.object(runFields).partial().shape)
  .extend({
    secrets: z
      .record(envKey, secretValue.nullable())
      .refine(secretCount, secretCountMessage)
      .optional()
      .describe(
        "NAME to a new value sets that secret, NAME to null removes it; secrets not named keep their values",
      ),
  })
  .strict();

export const rollbackInput = deploymentRef
  .extend({
    toGeneration: z.number().int().min(1).optional().describe("defaults to the previous generation"),
  })
  .strict();

export const revisionDto = z.object({
  generation: z.number(),
  reason: z.string(),
  spec: z.record(z.string(), z.unknown()).describe("what ran; `secrets` lists the names of its secrets only"),
  createdAt: isoDate,
});

/**
 * One entry of a deployment's timeline: what someone (or the rollout) did to it, from the audit
 * log, and what its instances did, from their rows (created, started, ended with a reason).
 */
export const deploymentEventDto = z.object({
  at: isoDate,
  kind: z.enum(["change", "instance"]),
  action: z
    .string()
    .describe(
      "deployment.create, deployment.update, ... or instance.created, instance.started, instance.<state>",
    ),
  summary: z.string(),
  actorType: z.string().nullable().describe("user, token or system for changes; null for instances"),
  actorId: z.string().nullable(),
  instanceId: uuid.nullable(),
  generation: z.number().nullable(),
});
export type DeploymentEventDto = z.infer<typeof deploymentEventDto>;

export const deploymentEventsInput = deploymentRef
  .extend({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();
