/** Retry timing for calls to the control plane: exponential backoff with jitter. */
export type RetryPolicy = {
  /** Total tries, the first one included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Longest Retry-After honoured; by default a minute. */
  maxRetryAfterMs?: number;
};

/** Reports and spec fetches are worth a long wait: the work is lost without them. */
export const patientRetry: RetryPolicy = { attempts: 8, baseMs: 250, maxMs: 10_000 };
/**
 * A heartbeat is repeated anyway at the next interval; do not pile them up behind each other,
 * nor wait out a long Retry-After (a host that waits 5 s to retry misses a short TTL).
 */
export const briefRetry: RetryPolicy = { attempts: 3, baseMs: 250, maxMs: 2_000, maxRetryAfterMs: 2_000 };

/**
 * Delay before try number `attempt + 1` (attempt counts from 0). Jitter spreads hundreds of
 * agents that lost the control plane at the same moment, so they do not return all at once.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After as seconds or an HTTP date, in milliseconds; null if absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Sleeps, but wakes early (rejecting) when the agent is being stopped. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
