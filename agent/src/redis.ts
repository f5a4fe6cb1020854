import { once } from "node:events";
import type { Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Log } from "./log";
import type { AgentState } from "./state";

/** How long start() waits for Redis to accept this host's credentials. */
const redisReadyTimeoutMs = 10_000;

/**
 * Connects before BullMQ sees the client: a refused password then fails start() at once with
 * Redis's own words, instead of a worker (and its duplicated blocking client) reconnecting forever.
 */
export async function connectRedis(redis: AgentState["redis"], log: Log): Promise<Redis> {
  // BullMQ's blocking reads need an unlimited retry count; the ACL user only sees this host's keys.
  const client = new Redis(redis.url, {
    username: redis.username,
    password: redis.password,
    maxRetriesPerRequest: null,
    lazyConnect: true,
  });
  let lastError: string | undefined;
  client.on("error", (err) => {
    lastError = err.message;
    log.warn("redis", { error: err.message });
  });
  try {
    await withTimeout(client.connect(), redisReadyTimeoutMs, "redis did not answer");
    return client;
  } catch (err) {
    client.disconnect();
    const why = lastError ?? (err as Error).message;
    throw new Error(
      /WRONGPASS|NOAUTH|NOPERM/.test(why)
        ? `redis refused this host's credentials (${redis.username}): ${why}`
        : `cannot connect to redis at ${redis.url}: ${why}`,
    );
  }
}

/** Resolves once the worker's blocking client is up (BullMQ emits "ready" from it). */
export async function workerReady(worker: Worker): Promise<void> {
  await withTimeout(once(worker, "ready"), redisReadyTimeoutMs, "the queue worker did not get ready");
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
