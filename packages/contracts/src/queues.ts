import { z } from "zod";
import { uuid } from "./common";

/**
 * Placement: the API enqueues one job per deployment change; the scheduler places its pending
 * instances. Jobs are hints: Postgres holds the truth, so a lost job is found again by the
 * reconciler, which is why retention is short and attempts few.
 */
export const placementQueue = {
  name: "placement",
  payload: z.strictObject({ deploymentId: uuid, tenantId: uuid, generation: z.number().int().min(1) }),
  defaultJobOptions: {
    // a transient Postgres error deserves a retry; more than a few means something is wrong
    attempts: 5,
    backoff: { type: "exponential", delay: 500 },
    // finished jobs are of no use once their effect is in Postgres; keep a few for debugging
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  },
  worker: {
    // placement is short Postgres work; two per process matches the two cores here
    concurrency: 2,
    // a placement takes milliseconds; 30 s means the process is gone, not slow
    lockDuration: 30_000,
  },
} as const;
export type PlacementJob = z.infer<typeof placementQueue.payload>;
