// The scheduler half of the worker, K times over: placementModule with its own producers
// (createQueues) and its own Postgres pool each, as K worker processes would have. Nothing else of
// the worker runs (no liveness, no reconcile).
import { createDb } from "@berth/db";
import { placementModule } from "@berth/worker/src/modules/placement";
import { createQueues } from "@berth/worker/src/queues";

export type SchedulerOptions = { count: number; databaseUrl: string; redisUrl: string; prefix: string };

export async function startSchedulers(opts: SchedulerOptions) {
  const parts = Array.from({ length: opts.count }, () => {
    const db = createDb(opts.databaseUrl);
    const queues = createQueues(opts.redisUrl, opts.prefix);
    const module = placementModule({ db, redisUrl: opts.redisUrl, prefix: opts.prefix, queues });
    return { db, queues, module };
  });
  const started: typeof parts = [];
  const stop = async () => {
    for (const p of started.reverse()) {
      await p.module.stop().catch(() => {});
      await p.queues.close().catch(() => {});
      await p.db.$disconnect().catch(() => {});
    }
  };
  try {
    for (const p of parts) {
      await p.module.start();
      started.push(p);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
