import { z } from "zod";

// The worker process's only reader of process.env.
const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL must be set (npm run setup writes .berth/config.env)"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379/0"),
  BERTH_QUEUE_PREFIX: z.string().default("berth"),
  BERTH_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  // a host whose heartbeats stop for this long is down and its instances are placed elsewhere
  BERTH_HOST_TTL_MS: z.coerce.number().int().min(1_000).default(15_000),
  BERTH_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
  BERTH_PLACEMENT_STRATEGY: z.enum(["binpack", "spread"]).default("binpack"),
});

export type WorkerEnv = z.infer<typeof schema>;

export function loadEnv(): WorkerEnv {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}
