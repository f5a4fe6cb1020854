import { type Column, renderFields, when } from "./output";
import type { Deployment, Instance } from "./types";

export const instanceColumns: Column<Instance>[] = [
  { header: "ordinal", value: (i) => i.ordinal },
  { header: "state", value: (i) => (i.exitCode === null ? i.state : `${i.state} (${i.exitCode})`) },
  { header: "host", value: (i) => i.hostId },
  { header: "endpoints", value: (i) => (i.endpoints.length ? i.endpoints.join(", ") : null) },
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
    ["command", [...d.command, ...d.args].join(" ") || null],
    ["desired", d.desiredState],
    ["created", when(d.createdAt)],
  ]);
}
