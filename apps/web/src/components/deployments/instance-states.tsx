import type { DeploymentDto } from "@berth/contracts";
import { Badge, type BadgeTone } from "../ui/badge";

type State = DeploymentDto["instances"][number]["state"];

export const stateTone: Record<State, BadgeTone> = {
  pending: "warning",
  scheduled: "info",
  starting: "info",
  running: "success",
  stopping: "neutral",
  stopped: "neutral",
  exited: "neutral",
  failed: "danger",
  lost: "danger",
};

/** Instances grouped by state ("2 running", "1 pending"), with the first reason one is waiting or failed. */
export function InstanceStates({ instances }: { instances: DeploymentDto["instances"] }) {
  if (instances.length === 0) return <span className="text-muted-foreground">None</span>;
  const counts = new Map<State, number>();
  for (const i of instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const reason = instances.find((i) => i.reason)?.reason;
  return (
    <div className="grid gap-1">
      <ul className="flex flex-wrap gap-1" aria-label="Instance states">
        {[...counts].map(([state, n]) => (
          <li key={state}>
            <Badge tone={stateTone[state]}>
              {n} {state}
            </Badge>
          </li>
        ))}
      </ul>
      {reason ? (
        <p className="max-w-xs truncate text-xs text-muted-foreground" title={reason}>
          {reason}
        </p>
      ) : null}
    </div>
  );
}
