import { createDb } from "@berth/db";
import { loadEnv } from "./env";
import { runModules } from "./module";
import { livenessModule } from "./modules/liveness";
import { placementModule } from "./modules/placement";
import { reconcileModule } from "./modules/reconcile";
import { createQueues } from "./queues";

const env = loadEnv();
const db = createDb(env.DATABASE_URL);
const queues = createQueues(env.REDIS_URL, env.BERTH_QUEUE_PREFIX);

await runModules(
  [
    placementModule({
      db,
      redisUrl: env.REDIS_URL,
      prefix: env.BERTH_QUEUE_PREFIX,
      queues,
      strategy: env.BERTH_PLACEMENT_STRATEGY,
    }),
    livenessModule({ db, queues, ttlMs: env.BERTH_HOST_TTL_MS }),
    reconcileModule({ db, queues, intervalMs: env.BERTH_RECONCILE_INTERVAL_MS }),
  ],
  {
    shutdownTimeoutMs: env.BERTH_SHUTDOWN_TIMEOUT_MS,
    onStopped: async () => {
      await queues.close();
      await db.$disconnect();
    },
  },
);
