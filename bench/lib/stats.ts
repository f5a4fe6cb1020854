// Latency summaries of a run's samples (ms), the figures its results file and table show.
import { quantile, round } from "../placement/stats";

const sorted = (xs: (number | null | undefined)[]) =>
  xs.filter((x): x is number => typeof x === "number").sort((a, b) => a - b);

/** n, p50, p95, min and max of the samples that have a number. */
export function msStats(xs: (number | null | undefined)[]) {
  const s = sorted(xs);
  if (!s.length) return { n: 0, p50Ms: null, p95Ms: null, minMs: null, maxMs: null };
  const q = (p: number) => round(quantile(s, p));
  return { n: s.length, p50Ms: q(0.5), p95Ms: q(0.95), minMs: q(0), maxMs: q(1) };
}

/** msStats with the p99 too (between the p95 and the min). */
export function msStatsP99(xs: (number | null | undefined)[]) {
  const { n, p50Ms, p95Ms, minMs, maxMs } = msStats(xs);
  const s = sorted(xs);
  const p99Ms = s.length ? round(quantile(s, 0.99)) : null;
  return { n, p50Ms, p95Ms, p99Ms, minMs, maxMs };
}
