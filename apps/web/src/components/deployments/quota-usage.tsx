import type { DeploymentDto, TenantDto } from "@berth/contracts";
import { cn } from "@/lib/cn";
import { formatCpu, formatMemory } from "@/lib/format";

// What the API counts against the quota: every instance that holds or will hold resources.
const counted = new Set(["pending", "scheduled", "starting", "running", "stopping"]);

/** Usage as the API's quota check computes it: each counted instance at its deployment's size. */
export function quotaUsage(deployments: DeploymentDto[]) {
  const used = { cpuMillis: 0, memoryMiB: 0, instances: 0 };
  for (const d of deployments)
    for (const i of d.instances)
      if (counted.has(i.state)) {
        used.cpuMillis += d.cpuMillis;
        used.memoryMiB += d.memoryMiB;
        used.instances += 1;
      }
  return used;
}

export function Meter({
  label,
  used,
  limit,
  text,
}: {
  label: string;
  used: number;
  limit: number;
  text: string;
}) {
  const pct = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
  return (
    <div className="grid gap-1.5">
      <div className="flex items-baseline justify-between gap-2 text-sm">
        <span className="font-medium">{label}</span>
        <span className="text-muted-foreground tabular-nums">{text}</span>
      </div>
      {/* the native element speaks to assistive technology; the bar beside it is drawn for the eye */}
      <meter
        className="sr-only"
        aria-label={`${label} used of the quota`}
        min={0}
        max={limit}
        value={Math.min(used, limit)}
      >
        {text}
      </meter>
      <div aria-hidden className="h-2 overflow-hidden rounded-full bg-muted">
        <div
          className={cn(
            "h-full rounded-full",
            pct >= 90 ? "bg-danger" : pct >= 70 ? "bg-amber-500" : "bg-primary",
          )}
          style={{ width: `${pct}%` }}
        />
      </div>
    </div>
  );
}

/** The tenant's quota and how much of it its instances hold; a new instance beyond it is refused. */
export function QuotaUsage({ tenant, deployments }: { tenant: TenantDto; deployments: DeploymentDto[] }) {
  const u = quotaUsage(deployments);
  const q = tenant.quota;
  return (
    <section
      aria-labelledby="quota-heading"
      className="mb-6 rounded-lg border border-border bg-card px-5 py-4"
    >
      <h2 id="quota-heading" className="mb-3 text-base font-semibold">
        Usage against quota
      </h2>
      <div className="grid gap-4 sm:grid-cols-3">
        <Meter
          label="Instances"
          used={u.instances}
          limit={q.instances}
          text={`${u.instances} of ${q.instances}`}
        />
        <Meter
          label="CPU"
          used={u.cpuMillis}
          limit={q.cpuMillis}
          text={`${formatCpu(u.cpuMillis)} of ${formatCpu(q.cpuMillis)}`}
        />
        <Meter
          label="Memory"
          used={u.memoryMiB}
          limit={q.memoryMiB}
          text={`${formatMemory(u.memoryMiB)} of ${formatMemory(q.memoryMiB)}`}
        />
      </div>
    </section>
  );
}
