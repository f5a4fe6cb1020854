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
import { stateTone } from "./instance-states";
import { LogPanel } from "./log-panel";

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
          <CardHeader
            title="Instances"
            description={`${d.instances.length} of ${d.replicas} wanted · generation ${d.generation}`}
          />
          <InstancesTable deployment={d} />
        </Card>
        <LogPanel deployment={d} />
      </div>
    </>
  );
}

function InstancesTable({ deployment }: { deployment: DeploymentDto }) {
  if (deployment.instances.length === 0)
    return <p className="px-5 py-4 text-sm text-muted-foreground">No instances: scaled to zero.</p>;
  return (
    <Table label={`Instances of ${deployment.name}`}>
      <THead>
        <Tr>
          <Th>#</Th>
          <Th>State</Th>
          <Th>Endpoints</Th>
          <Th>Reason</Th>
        </Tr>
      </THead>
      <TBody>
        {deployment.instances.map((i) => (
          <Tr key={i.id}>
            <Td className="tabular-nums">{i.ordinal}</Td>
            <Td>
              <Badge tone={stateTone[i.state]}>{i.state}</Badge>
            </Td>
            <Td className="font-mono text-xs">{i.endpoints.length ? i.endpoints.join(", ") : "—"}</Td>
            <Td className="max-w-xs truncate text-muted-foreground" title={i.reason ?? undefined}>
              {i.reason ?? "—"}
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
