import { placementQueue } from "@berth/contracts";
import { createDb } from "@berth/db";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { createAuth } from "./auth";
import { deriveKey } from "./crypto";
import type { Deps } from "./deps";

export type DepsConfig = {
  databaseUrl: string;
  redisUrl: string;
  authSecret: string;
  baseURL: string;
  /** Prefix of every BullMQ key, so tests can share one Redis. */
  queuePrefix?: string;
  /** The platform's registry, host[:port] (default 127.0.0.1:5000, the one `npm start` runs). */
  platformRegistry?: string;
};

export function createDeps(cfg: DepsConfig): Deps {
  const db = createDb(cfg.databaseUrl);
  // Commands wait for a (re)connection at most commandTimeout: health and enqueue must answer
  // promptly when Redis is away, and must not fail merely because the socket is still opening.
  const redisOpts = { maxRetriesPerRequest: 1, commandTimeout: 2_000 };
  const redis = new Redis(cfg.redisUrl, redisOpts);
  redis.on("error", () => {});
  const queueConnection = new Redis(cfg.redisUrl, redisOpts);
  queueConnection.on("error", () => {});
  const queue = new Queue(placementQueue.name, {
    connection: queueConnection,
    prefix: cfg.queuePrefix ?? "berth",
    defaultJobOptions: placementQueue.defaultJobOptions,
  });
  queue.on("error", () => {});
  return {
    db,
    redis,
    auth: createAuth({ db, secret: cfg.authSecret, baseURL: cfg.baseURL }),
    placementQueue: queue,
    baseURL: cfg.baseURL,
    redisUrl: cfg.redisUrl,
    queuePrefix: cfg.queuePrefix ?? "berth",
    credentialKey: deriveKey(cfg.authSecret, "registry-credentials"),
    platformRegistry: cfg.platformRegistry ?? "127.0.0.1:5000",
  };
}

export async function closeDeps(deps: Deps): Promise<void> {
  // The queue does not close a connection it was handed; it is ours to quit.
  const queueConnection = await deps.placementQueue.client.catch(() => null);
  await deps.placementQueue.close().catch(() => {});
  await Promise.allSettled([queueConnection?.quit(), deps.redis.quit(), deps.db.$disconnect()]);
}
