import "server-only";
import { registryHost } from "@berth/contracts";
import { z } from "zod";

// The web process's only reader of process.env.
const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL must be set (npm run setup writes .berth/config.env)"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379/0"),
  BETTER_AUTH_SECRET: z.string().min(32, "BETTER_AUTH_SECRET must be at least 32 characters"),
  BERTH_URL: z.url().default("http://127.0.0.1:3000"),
  BERTH_QUEUE_PREFIX: z.string().default("berth"),
  BERTH_REGISTRY: registryHost.default("127.0.0.1:5000"),
});

let cached: z.infer<typeof schema> | undefined;

export function env() {
  if (!cached) {
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      throw new Error(
        `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    }
    cached = parsed.data;
  }
  return cached;
}
