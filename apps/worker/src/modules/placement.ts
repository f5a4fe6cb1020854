import { placementQueue } from "@berth/contracts";
import type { Db } from "@berth/db";
import { UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Module } from "../module";
import type { Queues } from "../queues";
import { placeDeployment, type Strategy } from "../scheduler/place";
import { sendStops } from "./reconcile";

/**
 * The scheduler: consumes placement requests, reserves capacity in Postgres, then hands each
 * placed instance to its host's queue. The start job is added after the reservation commits;
 * if the process dies in between, the reconciler finds the scheduled instance without a job.
 */
export function placementModule(opts: {
  db: Db;
  redisUrl: string;
  prefix: string;
  queues: Queues;
  strategy?: Strategy;
}): Module {
  let worker: Worker | undefined;
  let connection: Redis | undefined;
  return {
    name: "placement",
    async start() {
      // BullMQ workers need blocking commands without a retry limit.
      connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
      worker = new Worker(
        placementQueue.name,
        async (job) => {
          const parsed = placementQueue.payload.safeParse(job.data);
          // A malformed payload will never become valid: fail it once, do not retry forever.
          if (!parsed.success)
            throw new UnrecoverableError(`invalid placement payload: ${parsed.error.message}`);
          const result = await placeDeployment(opts.db, parsed.data.deploymentId, opts.strategy);
          for (const s of result.placed) await opts.queues.start(s);
          await sendStops(opts.db, opts.queues, { deploymentId: parsed.data.deploymentId });
          return { placed: result.placed.length, unplaced: result.unplaced };
        },
        {
          connection,
          prefix: opts.prefix,
          concurrency: placementQueue.worker.concurrency,
          lockDuration: placementQueue.worker.lockDuration,
        },
      );
      worker.on("failed", (job, err) => console.error(`placement ${job?.id} failed: ${err.message}`));
      worker.on("error", (err) => console.error(`placement worker: ${err.message}`));
    },
    async stop() {
      await worker?.close();
      await connection?.quit();
    },
  };
}
