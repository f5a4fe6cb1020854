import { type Column, renderFields, when } from "./output";
import type { Deployment, Instance } from "./types";

const units = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 -> "1.5KiB"; one decimal under 10 of a unit, none above. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u > 0 && v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** used/limit, or used alone when there is no limit. */
const usage = (used: string | number, limit: string | number | null) =>
  limit === null ? String(used) : `${used}/${limit}`;

export const instanceColumns: Column<Instance>[] = [
  { header: "ordinal", value: (i) => i.ordinal },
  { header: "state", value: (i) => (i.exitCode === null ? i.state : `${i.state} (${i.exitCode})`) },
  { header: "host", value: (i) => i.hostId },
  { header: "endpoints", value: (i) => (i.endpoints.length ? i.endpoints.join(", ") : null) },
  { header: "accel", value: (i) => i.accelerator },
  { header: "cpu", value: (i) => (i.metrics?.cpuPercent == null ? null : `${i.metrics.cpuPercent}%`) },
  {
    header: "memory",
    value: (i) =>
      i.metrics &&
      usage(
        formatBytes(i.metrics.memoryBytes),
        i.metrics.memoryLimitBytes === null ? null : formatBytes(i.metrics.memoryLimitBytes),
      ),
  },
  { header: "pids", value: (i) => i.metrics && usage(i.metrics.pids, i.metrics.pidsLimit) },
  { header: "reason", value: (i) => i.reason },
];

/** "2 running, 1 pending"; replicas 0 shows as "none". */
export function instanceSummary(d: Deployment): string {
  if (d.instances.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const i of d.instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
}

export const deploymentColumns: Column<Deployment>[] = [
  { header: "name", value: (d) => d.name },
  { header: "image", value: (d) => d.image },
  { header: "isolation", value: (d) => d.isolation },
  { header: "replicas", value: (d) => d.replicas },
  { header: "instances", value: instanceSummary },
  { header: "created", value: (d) => when(d.createdAt) },
];

export function renderDeployment(d: Deployment): string {
  const ports = d.ports.map((p) => `${p.port}/${p.protocol}`).join(", ");
  const env = Object.keys(d.env).join(", ");
  return renderFields([
    ["name", d.name],
    ["id", d.id],
    ["image", d.image],
    ["isolation", d.isolation],
    ["replicas", d.replicas],
    ["resources", `${d.cpuMillis} millicpu, ${d.memoryMiB} MiB per instance`],
    ["ports", ports || null],
    ["env", env || null],
    // names only: the API never returns a secret's value
    ["secrets", d.secrets.map((x) => x.name).join(", ") || null],
    ["command", [...d.command, ...d.args].join(" ") || null],
    ["desired", d.desiredState],
    ["created", when(d.createdAt)],
  ]);
}
