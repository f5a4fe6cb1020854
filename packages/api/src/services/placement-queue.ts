import { type PlacementJob, placementQueue } from "@berth/contracts";
import type { Queue } from "bullmq";

/**
 * A request deduplicates later ones for this long at most. Without a bound, a request whose
 * scheduler died (kill -9) while placing it blocked every later request for the deployment until
 * BullMQ declared the job stalled (lock time plus stalled-check interval, up to a minute); a
 * second request meanwhile is harmless (placement claims only pending, unassigned instances).
 */
export const PLACEMENT_DEDUP_MS = 5_000;

/**
 * Asks the scheduler to place a deployment's pending instances. One waiting request per
 * deployment is enough (the scheduler reads Postgres, not the payload), so requests are
 * deduplicated by deployment id. Failing to enqueue is logged, not thrown: Postgres already
 * holds the pending instances and the reconciler asks again.
 */
export async function requestPlacement(queue: Queue, job: PlacementJob): Promise<boolean> {
  try {
    const payload = placementQueue.payload.parse(job);
    await queue.add("place", payload, { deduplication: { id: job.deploymentId, ttl: PLACEMENT_DEDUP_MS } });
    return true;
  } catch (err) {
    console.warn(`placement request for ${job.deploymentId} not queued: ${(err as Error).message}`);
    return false;
  }
}
