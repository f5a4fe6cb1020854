/** Runs tasks one at a time per key within this process; different keys run in parallel. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    // Forget the key once nothing waits on it, so the map does not grow with every image ever seen.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Holds several keys at once, taken in sorted order so that two holders cannot deadlock. */
  runAll<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const nested = sorted.reduceRight<() => Promise<T>>((inner, key) => () => this.run(key, inner), task);
    return nested();
  }
}

/**
 * Many shared holders or one exclusive holder: pulls and mounts share the store, garbage
 * collection has it alone. A waiting exclusive holder stops new shared ones, so it cannot starve.
 * Not reentrant: a shared holder must not ask again (an exclusive waiter in between deadlocks).
 */
export class SharedExclusiveLock {
  private holders = 0;
  private drained: (() => void) | null = null;
  private exclusive: Promise<void> | null = null;

  async shared<T>(task: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.holders++;
    try {
      return await task();
    } finally {
      this.holders--;
      if (this.holders === 0) this.drained?.();
    }
  }

  async alone<T>(task: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release = () => {};
    this.exclusive = new Promise<void>((r) => (release = r));
    try {
      if (this.holders > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = null;
      return await task();
    } finally {
      this.exclusive = null;
      release();
    }
  }
}
