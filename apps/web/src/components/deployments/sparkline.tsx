"use client";
import type { DeploymentDto } from "@berth/contracts";
import { useRef } from "react";

export type Sample = { at: string; cpu: number | null; memory: number };
/** Samples kept per instance: two minutes of the page's 5 s polls. */
const KEEP = 24;

/**
 * A short usage history per instance. Heartbeats carry only the latest sample, so the page keeps
 * what its polls saw; a sample is added once (by its time), and instances that went away are dropped.
 */
export function useMetricsHistory(d: DeploymentDto): Map<string, Sample[]> {
  const store = useRef(new Map<string, Sample[]>());
  const next = new Map<string, Sample[]>();
  for (const i of d.instances) {
    const old = store.current.get(i.id) ?? [];
    const m = i.metrics;
    next.set(
      i.id,
      m && old.at(-1)?.at !== m.sampledAt
        ? [...old, { at: m.sampledAt, cpu: m.cpuPercent, memory: m.memoryBytes }].slice(-KEEP)
        : old,
    );
  }
  store.current = next;
  return next;
}

/**
 * An inline chart of a few dozen points: a polyline scaled to its own maximum (a floor keeps an
 * idle instance's noise flat). The numbers are beside it and in its label; the line is the trend.
 */
export function Sparkline({ values, floor, label }: { values: number[]; floor: number; label: string }) {
  if (values.length < 2) return null;
  const w = 64;
  const h = 18;
  const max = Math.max(floor, ...values);
  const step = w / (KEEP - 1);
  const x0 = w - (values.length - 1) * step;
  const points = values
    .map((v, i) => `${(x0 + i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`)
    .join(" ");
  return (
    <svg
      role="img"
      aria-label={label}
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      className="inline-block align-middle text-primary"
    >
      <title>{label}</title>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
    </svg>
  );
}
