import { createDb } from "@berth/db";
import { loadEnv } from "./env";
import { runModules } from "./module";
import { placementModule } from "./modules/placement";

const env = loadEnv();
const db = createDb(env.DATABASE_URL);

await runModules([placementModule({ db, redisUrl: env.REDIS_URL, prefix: env.BERTH_QUEUE_PREFIX })], {
  shutdownTimeoutMs: env.BERTH_SHUTDOWN_TIMEOUT_MS,
  onStopped: () => db.$disconnect(),
});
