// Small timing helpers shared by the main process and the children.
import { monitorEventLoopDelay } from "node:perf_hooks";

/** Count, total and a reservoir of durations per key (route, stage). */
export class Timings {
  private readonly by = new Map<string, { n: number; totalMs: number; maxMs: number; sample: number[] }>();

  add(key: string, ms: number) {
    let t = this.by.get(key);
    if (!t) {
      t = { n: 0, totalMs: 0, maxMs: 0, sample: [] };
      this.by.set(key, t);
    }
    t.n++;
    t.totalMs += ms;
    if (ms > t.maxMs) t.maxMs = ms;
    // reservoir sampling keeps percentiles honest without keeping every value
    if (t.sample.length < 4000) t.sample.push(ms);
    else {
      const j = Math.floor(Math.random() * t.n);
      if (j < 4000) t.sample[j] = ms;
    }
  }

  summary(): Record<string, TimingSummary> {
    const out: Record<string, TimingSummary> = {};
    for (const [k, t] of this.by) {
      const s = [...t.sample].sort((a, b) => a - b);
      out[k] = {
        n: t.n,
        meanMs: round(t.totalMs / t.n),
        p50Ms: round(quantile(s, 0.5)),
        p99Ms: round(quantile(s, 0.99)),
        maxMs: round(t.maxMs),
        totalS: round(t.totalMs / 1000),
      };
    }
    return out;
  }
}

export type TimingSummary = {
  n: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  totalS: number;
};

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

export const round = (x: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Replaces ids in a URL path so routes group together. */
export function routeKey(method: string, url: string): string {
  const path = new URL(url, "http://x").pathname.replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi,
    ":id",
  );
  return `${method} ${path}`;
}

/** This process's CPU time and event-loop delay since `start()`. */
export function processMeter() {
  const h = monitorEventLoopDelay({ resolution: 20 });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  return {
    start() {
      h.reset();
      h.enable();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    },
    read() {
      const cpu = process.cpuUsage(cpu0);
      const wallS = (performance.now() - t0) / 1000;
      const cpuS = (cpu.user + cpu.system) / 1e6;
      return {
        cpuS: round(cpuS),
        wallS: round(wallS),
        /** cores this process kept busy on average */
        cores: round(cpuS / Math.max(wallS, 0.001), 2),
        loopDelayP50Ms: round(h.percentile(50) / 1e6),
        loopDelayP99Ms: round(h.percentile(99) / 1e6),
        loopDelayMaxMs: round(h.max / 1e6),
        rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      };
    },
  };
}

export type ProcessReading = ReturnType<ReturnType<typeof processMeter>["read"]>;
