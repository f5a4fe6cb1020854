import { placementQueue } from "@berth/contracts";
import type { Db } from "@berth/db";
import { UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Module } from "../module";

/**
 * Consumes placement requests. No scheduler and no agents exist yet, so no host can run an
 * instance: the instances stay pending, and their reason says so plainly for the dashboard and
 * `berth deploy --wait`. The scheduler replaces `placeDeployment`.
 */
export async function placeDeployment(db: Db, deploymentId: string): Promise<number> {
  const d = await db.deployment.findUnique({ where: { id: deploymentId }, select: { isolation: true } });
  if (!d) return 0; // deleted meanwhile: nothing to place
  const ready = await db.host.count({
    where: { status: "ready", cordoned: false, isolationLevels: { has: d.isolation } },
  });
  const reason =
    ready === 0
      ? `no host can run this yet: no ready host offers the ${d.isolation} level`
      : "waiting for the scheduler, which is not part of this version";
  const res = await db.instance.updateMany({ where: { deploymentId, state: "pending" }, data: { reason } });
  return res.count;
}

export function placementModule(opts: { db: Db; redisUrl: string; prefix: string }): Module {
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
          return { updated: await placeDeployment(opts.db, parsed.data.deploymentId) };
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
