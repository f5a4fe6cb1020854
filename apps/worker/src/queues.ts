import { hostQueue, placementQueue } from "@berth/contracts";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

/** The worker's producers: the placement queue and one queue per host, over one connection. */
export function createQueues(redisUrl: string, prefix: string) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  connection.on("error", () => {});
  const placement = new Queue(placementQueue.name, {
    connection,
    prefix,
    defaultJobOptions: placementQueue.defaultJobOptions,
  });
  const hosts = new Map<string, Queue>();
  const host = (hostId: string) => {
    let q = hosts.get(hostId);
    if (!q) {
      q = new Queue(hostQueue.name(hostId), {
        connection,
        prefix,
        defaultJobOptions: hostQueue.defaultJobOptions,
      });
      hosts.set(hostId, q);
    }
    return q;
  };
  return {
    placement,
    host,
    /** Start an instance on its host; the job id is the instance id, so a repeat is a no-op. */
    async start(s: { hostId: string; instanceId: string; generation: number }) {
      const job = hostQueue.payload.parse({
        kind: "start",
        instanceId: s.instanceId,
        generation: s.generation,
      });
      await host(s.hostId).add("start", job, { jobId: s.instanceId });
    },
    async stop(s: { hostId: string; instanceId: string; generation: number; graceMs?: number }) {
      const job = hostQueue.payload.parse({
        kind: "stop",
        instanceId: s.instanceId,
        generation: s.generation,
        graceMs: s.graceMs,
      });
      await host(s.hostId).add("stop", job, { jobId: `${s.instanceId}-stop-g${s.generation}` });
    },
    async close() {
      await Promise.allSettled([placement.close(), ...[...hosts.values()].map((q) => q.close())]);
      await connection.quit().catch(() => {});
    },
  };
}

export type Queues = ReturnType<typeof createQueues>;
