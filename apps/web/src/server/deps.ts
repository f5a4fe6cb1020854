import "server-only";
import { createDeps, type Deps } from "@berth/api";
import { env } from "./env";

// One set of connections per server process (and one across dev-mode reloads).
const g = globalThis as { berthDeps?: Deps };

export function deps(): Deps {
  if (!g.berthDeps) {
    const e = env();
    g.berthDeps = createDeps({
      databaseUrl: e.DATABASE_URL,
      redisUrl: e.REDIS_URL,
      authSecret: e.BETTER_AUTH_SECRET,
      baseURL: e.BERTH_URL,
      queuePrefix: e.BERTH_QUEUE_PREFIX,
      platformRegistry: e.BERTH_REGISTRY,
    });
  }
  return g.berthDeps;
}
