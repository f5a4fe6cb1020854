import { Queue } from "bullmq";
import { Redis } from "ioredis";

/**
 * Puts a malformed request on the stack's placement queue, as a buggy or old producer could, and
 * waits until the stack's real worker has failed it. Returns the job's id.
 */
export async function failedPlacementJob(): Promise<string> {
  const prefix = process.env.BERTH_E2E_QUEUE_PREFIX;
  if (!prefix) throw new Error("BERTH_E2E_QUEUE_PREFIX is not set: run the suite with `node e2e/run.mjs`");
  const connection = new Redis(process.env.BERTH_E2E_REDIS_URL ?? "redis://127.0.0.1:6379/0");
  const queue = new Queue("placement", { connection, prefix });
  try {
    const job = await queue.add("place", { deploymentId: "e2e-not-a-uuid" }, { attempts: 1 });
    for (let i = 0; i < 200; i++) {
      if ((await job.getState()) === "failed") return job.id ?? "";
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`placement job ${job.id} was not failed by the worker within 10 s`);
  } finally {
    await queue.close();
    await connection.quit();
  }
}
