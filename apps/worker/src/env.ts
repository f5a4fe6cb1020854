import { z } from "zod";

// The worker process's only reader of process.env.
const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL must be set (npm run setup writes .berth/config.env)"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379/0"),
  BERTH_QUEUE_PREFIX: z.string().default("berth"),
  BERTH_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
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
