// The job queues as operators see them (the dashboard's answer to Bull Board): counts per queue,
// a queue's jobs by state with their data and failure reason, and the two repairs an operator
// needs: retry a failed job, remove a job that should not run. Only the placement queue and the
// queues of known hosts can be named; each repair is in the audit log.
import { hostQueue, type JobState, placementQueue } from "@berth/contracts";
import type { Db } from "@berth/db";
import { type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { AppError, notFound } from "../errors";
import { type ActorRef, recordAudit } from "./audit";

type QueueDeps = { db: Db; redis: Redis; prefix: string; placement: Queue };

/** Job counts of the placement queue and of every host's queue (hosts not removed). */
export async function listQueues(opts: QueueDeps) {
  const counts = async (q: Queue) => {
    const c = await q.getJobCounts("waiting", "active", "delayed", "completed", "failed", "paused");
    return {
      waiting: c.waiting ?? 0,
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
      paused: c.paused ?? 0,
    };
  };
  const hosts = await opts.db.host.findMany({
    where: { status: { not: "removed" } },
    orderBy: { name: "asc" },
    select: { id: true, name: true },
  });
  type QueueRow = {
    name: string;
    kind: "placement" | "host";
    hostName: string | null;
    counts: Awaited<ReturnType<typeof counts>>;
  };
  const out: QueueRow[] = [
    { name: placementQueue.name, kind: "placement", hostName: null, counts: await counts(opts.placement) },
  ];
  for (const h of hosts) {
    // a Queue over the shared connection: closing it leaves the connection open
    const q = new Queue(hostQueue.name(h.id), { connection: opts.redis, prefix: opts.prefix });
    try {
      out.push({
        name: hostQueue.name(h.id),
        kind: "host" as const,
        hostName: h.name,
        counts: await counts(q),
      });
    } finally {
      await q.close().catch(() => {});
    }
  }
  return out;
}

/** Runs `fn` with the named queue: the placement queue, or the queue of a host the db knows. */
async function withQueue<T>(o: QueueDeps, name: string, fn: (q: Queue) => Promise<T>): Promise<T> {
  if (name === placementQueue.name) return fn(o.placement);
  const hostId = name.startsWith("host-") ? name.slice(5) : "";
  const host = hostId ? await o.db.host.findUnique({ where: { id: hostId }, select: { id: true } }) : null;
  if (!host) throw notFound(`queue ${name}`);
  // a Queue over the shared connection: closing it leaves the connection open
  const q = new Queue(hostQueue.name(host.id), { connection: o.redis, prefix: o.prefix });
  try {
    return await fn(q);
  } finally {
    await q.close().catch(() => {});
  }
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function toJobDto(j: Job, state: string) {
  const data = JSON.stringify(j.data ?? null);
  return {
    id: j.id ?? "",
    name: j.name,
    state,
    attemptsMade: j.attemptsMade,
    failedReason: j.failedReason || null,
    createdAt: new Date(j.timestamp).toISOString(),
    processedAt: iso(j.processedOn),
    finishedAt: iso(j.finishedOn),
    data: data.length > 2000 ? `${data.slice(0, 1999)}…` : data,
  };
}

export const queueJobsPageSize = 50;

/** A page of a queue's jobs in one state, newest first. */
export async function listQueueJobs(o: QueueDeps & { queue: string; state: JobState; start: number }) {
  return withQueue(o, o.queue, async (q) => {
    const [total, jobs] = await Promise.all([
      q.getJobCountByTypes(o.state),
      q.getJobs([o.state], o.start, o.start + queueJobsPageSize - 1, false),
    ]);
    return {
      queue: o.queue,
      state: o.state,
      total,
      jobs: jobs.filter((j): j is Job => Boolean(j)).map((j) => toJobDto(j, o.state)),
    };
  });
}

async function jobOf(q: Queue, name: string, jobId: string) {
  const job = await q.getJob(jobId);
  if (!job) throw notFound(`job ${jobId} in queue ${name}`);
  return { job, state: await job.getState() };
}

/** Puts a failed job back to waiting; its runs so far stay counted in attemptsMade. */
export async function retryQueueJob(o: QueueDeps & { queue: string; jobId: string; actor: ActorRef }) {
  return withQueue(o, o.queue, async (q) => {
    const { job, state } = await jobOf(q, o.queue, o.jobId);
    if (state !== "failed")
      throw new AppError("CONFLICT", `jobId: job ${o.jobId} is ${state}; only a failed job can be retried`);
    await job.retry("failed");
    await recordAudit({
      db: o.db,
      tenantId: null,
      actor: o.actor,
      action: "queue.job.retry",
      target: o.jobId,
      data: { queue: o.queue, name: job.name },
    });
    return toJobDto(job, "waiting");
  });
}

/** Removes a job that is not running (an active job holds its worker's lock). */
export async function removeQueueJob(o: QueueDeps & { queue: string; jobId: string; actor: ActorRef }) {
  return withQueue(o, o.queue, async (q) => {
    const { job, state } = await jobOf(q, o.queue, o.jobId);
    if (state === "active")
      throw new AppError(
        "CONFLICT",
        `jobId: job ${o.jobId} is running; remove it once it has finished or failed`,
      );
    await job.remove();
    await recordAudit({
      db: o.db,
      tenantId: null,
      actor: o.actor,
      action: "queue.job.remove",
      target: o.jobId,
      data: { queue: o.queue, name: job.name, state },
    });
    return toJobDto(job, state);
  });
}
