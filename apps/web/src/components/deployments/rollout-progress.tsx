import type { DeploymentDto } from "@berth/contracts";

type Instance = DeploymentDto["instances"][number];
const active = new Set(["pending", "scheduled", "starting", "running"]);

const live = (i: Instance) => active.has(i.state) || i.state === "stopping";

/**
 * Instances worth a row: everything of the current generation, and older ones until they are
 * gone. An ended instance of an older generation was replaced by a rollout; it is history.
 */
export function visibleInstances(d: DeploymentDto): Instance[] {
  return d.instances
    .filter((i) => i.generation === d.generation || live(i))
    .sort((a, b) => a.ordinal - b.ordinal || b.generation - a.generation);
}

/**
 * How far the deployment is from what it wants: its generation's instances running out of the
 * replicas wanted, and what is still on the way (an image pull, a boot, an old instance to retire).
 * Polled with the deployment, so it moves every few seconds while a rollout or a start is on.
 */
export function RolloutProgress({ deployment: d }: { deployment: DeploymentDto }) {
  const current = d.instances.filter((i) => i.generation === d.generation);
  const running = current.filter((i) => i.state === "running").length;
  const coming = current.filter((i) => active.has(i.state) && i.state !== "running").length;
  const old = d.instances.filter((i) => i.generation < d.generation && live(i));
  const wanted = d.desiredState === "running" ? d.replicas : 0;
  const settled = running === wanted && coming === 0 && old.length === 0;
  const pct = wanted ? Math.round((Math.min(running, wanted) / wanted) * 100) : 100;
  const doing = [
    coming ? `${coming} starting` : null,
    old.length ? `${old.length} of an older generation still to retire` : null,
  ].filter(Boolean);
  return (
    <div className="grid gap-2 border-b border-border px-5 py-3" role="status" aria-live="polite">
      <p className="text-sm">
        <span className="font-medium">
          Generation {d.generation}: {running} of {wanted} running
        </span>
        {doing.length ? <span className="text-muted-foreground"> · {doing.join(" · ")}</span> : null}
        {d.desiredState === "stopped" ? <span className="text-muted-foreground"> · stopped</span> : null}
      </p>
      {!settled ? (
        <div
          role="progressbar"
          aria-label={`Generation ${d.generation} rollout`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          className="h-1.5 overflow-hidden rounded-full bg-muted"
        >
          <div
            className="h-full rounded-full bg-primary transition-[width] duration-500"
            style={{ width: `${pct}%` }}
          />
        </div>
      ) : null}
    </div>
  );
}
