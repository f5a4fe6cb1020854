"use client";
import type { DeploymentDto, DeploymentEventDto } from "@berth/contracts";
import { useQuery } from "@tanstack/react-query";
import { formatDate, formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Badge, type BadgeTone } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";

const LIMIT = 50;

function tone(e: DeploymentEventDto): BadgeTone {
  if (e.action === "instance.failed" || e.action === "instance.lost") return "danger";
  if (e.action === "instance.exited" || e.action === "deployment.rollback") return "warning";
  if (e.action === "instance.started") return "success";
  return e.kind === "change" ? "info" : "neutral";
}

const by = (e: DeploymentEventDto) =>
  e.actorType === "system" ? "automatically" : e.actorType === "token" ? "by an API token" : "by a member";

/**
 * What happened to the deployment, newest first: the changes people (and the rollout) made and
 * its instances' lifecycle. Polled like the instances, so a rollout can be watched here too.
 */
export function EventsTimeline({ deployment: d }: { deployment: DeploymentDto }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.deployments.events.queryOptions({ tenantId: d.tenantId, deploymentId: d.id, limit: LIMIT }),
    refetchInterval: 5000,
  });
  return (
    <Card>
      <CardHeader
        id="events-heading"
        title="Events"
        description={`The latest ${LIMIT} changes and instance transitions, newest first.`}
      />
      {q.isPending ? (
        <LoadingRows label="the events" />
      ) : q.isError ? (
        <QueryError what="the events" error={q.error} onRetry={() => q.refetch()} />
      ) : q.data.length === 0 ? (
        <p className="px-5 py-4 text-sm text-muted-foreground">Nothing has happened yet.</p>
      ) : (
        <ol aria-labelledby="events-heading" className="max-h-96 divide-y divide-border overflow-auto">
          {q.data.map((e) => (
            <li
              key={`${e.at}/${e.action}/${e.instanceId ?? ""}`}
              className="flex flex-wrap items-baseline gap-x-3 gap-y-1 px-5 py-2 text-sm"
            >
              <time
                dateTime={e.at}
                title={formatDate(e.at)}
                className="w-28 shrink-0 text-xs text-muted-foreground tabular-nums"
              >
                {formatRelative(e.at)}
              </time>
              <Badge tone={tone(e)}>{e.kind === "change" ? "change" : "instance"}</Badge>
              <span className="min-w-0 flex-1">
                {e.summary}
                {e.kind === "change" ? <span className="text-muted-foreground"> · {by(e)}</span> : null}
              </span>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
