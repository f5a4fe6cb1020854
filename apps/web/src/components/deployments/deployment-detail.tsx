"use client";
import type { DeploymentDto } from "@berth/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Badge } from "../ui/badge";
import { Card, CardHeader } from "../ui/card";
import { PageHeader } from "../ui/page-header";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { DeploymentActions } from "./deployment-actions";
import { EventsTimeline } from "./events-timeline";
import { MetricsCells, MetricsHeaders } from "./instance-metrics";
import { stateTone } from "./instance-states";
import { LogPanel } from "./log-panel";
import { Revisions } from "./revisions";
import { RolloutProgress, visibleInstances } from "./rollout-progress";
import { SecretsCard } from "./secrets-card";
import { useMetricsHistory } from "./sparkline";
import { UpdateForm } from "./update-form";

/** One deployment: what runs, its instances (polled, as on the list) and its live logs. */
export function DeploymentDetail({ deploymentId }: { deploymentId: string }) {
  const trpc = useTRPC();
  const tenant = useTenant();
  const q = useQuery({
    ...trpc.deployments.get.queryOptions({ tenantId: tenant.id, deploymentId }),
    refetchInterval: 5000,
  });
  const back = (
    <Link
      href={`/t/${tenant.id}/deployments`}
      className="text-sm font-medium text-link underline underline-offset-4"
    >
      All deployments
    </Link>
  );
  if (q.isPending)
    return (
      <Card>
        <LoadingRows label="the deployment" />
      </Card>
    );
  if (q.isError)
    return (
      <>
        <PageHeader title="Deployment" actions={back} />
        <Card>
          <QueryError what="the deployment" error={q.error} onRetry={() => q.refetch()} />
        </Card>
      </>
    );
  const d = q.data;
  return (
    <>
      <PageHeader
        title={d.name}
        description={
          <>
            <span className="font-mono">{d.image}</span> · {d.isolation} · created{" "}
            {formatRelative(d.createdAt)}
          </>
        }
        actions={back}
      />
      <div className="grid gap-6">
        <Card>
          <CardHeader title="Instances" description={`${d.replicas} wanted`} />
          <RolloutProgress deployment={d} />
          <InstancesTable deployment={d} />
        </Card>
        {tenant.can("member") ? <DeploymentActions deployment={d} /> : null}
        <LogPanel deployment={d} />
        <SecretsCard deployment={d} />
        {tenant.can("member") ? <UpdateForm deployment={d} /> : null}
        <div className="grid gap-6 2xl:grid-cols-2">
          <Revisions deployment={d} />
          <EventsTimeline deployment={d} />
        </div>
      </div>
    </>
  );
}

function InstancesTable({ deployment }: { deployment: DeploymentDto }) {
  const rows = visibleInstances(deployment);
  const history = useMetricsHistory(deployment);
  const replaced = deployment.instances.length - rows.length;
  if (rows.length === 0)
    return <p className="px-5 py-4 text-sm text-muted-foreground">No instances: scaled to zero.</p>;
  return (
    <>
      <Table label={`Instances of ${deployment.name}`}>
        <THead>
          <Tr>
            <Th>#</Th>
            <Th>
              <abbr title="generation">Gen.</abbr>
            </Th>
            <Th>State</Th>
            <Th>Endpoints</Th>
            <MetricsHeaders />
            <Th>Reason</Th>
          </Tr>
        </THead>
        <TBody>
          {rows.map((i) => (
            <Tr key={i.id}>
              <Td className="tabular-nums">{i.ordinal}</Td>
              <Td className="tabular-nums">{i.generation}</Td>
              <Td>
                <Badge tone={stateTone[i.state]}>{i.state}</Badge>
                {i.accelerator ? (
                  <span className="ml-1 text-xs text-muted-foreground" title="the guest's accelerator">
                    {i.accelerator}
                  </span>
                ) : null}
              </Td>
              <Td className="font-mono text-xs">
                {i.endpoints.length ? <Endpoints endpoints={i.endpoints} ordinal={i.ordinal} /> : "—"}
              </Td>
              <MetricsCells metrics={i.metrics} history={history.get(i.id)} />
              <Td className="max-w-xs truncate text-muted-foreground" title={i.reason ?? undefined}>
                {i.reason ?? "—"}
              </Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      {replaced > 0 ? (
        <p className="border-t border-border px-5 py-2 text-xs text-muted-foreground">
          {replaced} ended {replaced === 1 ? "instance" : "instances"} of earlier generations not shown.
        </p>
      ) : null}
    </>
  );
}

/** Endpoints are HOST:PORT; for a TCP port they open as http:// links (most workloads speak HTTP). */
function Endpoints({ endpoints, ordinal }: { endpoints: string[]; ordinal: number }) {
  return (
    <ul className="grid gap-0.5">
      {endpoints.map((e) => (
        <li key={e}>
          <a
            href={`http://${e}/`}
            target="_blank"
            rel="noreferrer"
            aria-label={`Open ${e} (instance ${ordinal}) in a new tab`}
            className="text-link underline underline-offset-4"
          >
            {e}
          </a>
        </li>
      ))}
    </ul>
  );
}
