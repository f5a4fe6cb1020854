import { type PlacementJob, placementQueue } from "@berth/contracts";
import type { Queue } from "bullmq";

/**
 * Asks the scheduler to place a deployment's pending instances. One waiting request per
 * deployment is enough (the scheduler reads Postgres, not the payload), so requests are
 * deduplicated by deployment id. Failing to enqueue is logged, not thrown: Postgres already
 * holds the pending instances and the reconciler asks again.
 */
export async function requestPlacement(queue: Queue, job: PlacementJob): Promise<boolean> {
  try {
    const payload = placementQueue.payload.parse(job);
    await queue.add("place", payload, { deduplication: { id: job.deploymentId } });
    return true;
  } catch (err) {
    console.warn(`placement request for ${job.deploymentId} not queued: ${(err as Error).message}`);
    return false;
  }
}
