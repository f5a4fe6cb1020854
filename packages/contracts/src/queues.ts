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

const startInstance = z.strictObject({
  kind: z.literal("start"),
  instanceId: uuid,
  generation: z.number().int().min(1),
});
const stopInstance = z.strictObject({
  kind: z.literal("stop"),
  instanceId: uuid,
  generation: z.number().int().min(1),
  graceMs: z.number().int().min(0).max(600_000).default(10_000),
});

/**
 * One queue per host, consumed only by that host's agent (its Redis ACL user can touch nothing
 * else). The job id is the instance id, so a repeated enqueue of the same start is a no-op.
 * The agent fetches the instance's spec from the control plane: a job carries no secrets.
 */
export const hostQueue = {
  name: (hostId: string) => `host-${hostId}`,
  payload: z.discriminatedUnion("kind", [startInstance, stopInstance]),
  defaultJobOptions: {
    // the agent retries a failed start itself with backoff; queue retries would double that
    attempts: 1,
    // a finished or failed job must go, so that a later start of the same instance (a
    // reconciler retry after a stalled agent) can reuse its id; Postgres keeps the history
    removeOnComplete: true,
    removeOnFail: true,
  },
} as const;
export type HostJob = z.infer<typeof hostQueue.payload>;
