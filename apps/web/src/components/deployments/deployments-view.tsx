"use client";
import type { DeploymentDto } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { ConfirmButton } from "../ui/dialog";
import { EmptyState } from "../ui/empty-state";
import { PageHeader } from "../ui/page-header";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";
import { CliHint } from "./cli-hint";
import { CreateDeploymentForm } from "./create-deployment-form";
import { InstanceStates } from "./instance-states";
import { QuotaUsage } from "./quota-usage";

export function DeploymentsView() {
  const trpc = useTRPC();
  const tenant = useTenant();
  const canWrite = tenant.can("member");
  const [creating, setCreating] = useState(false);
  // Instance states change as the scheduler and agents work; poll while the page is open.
  const list = useQuery({
    ...trpc.deployments.list.queryOptions({ tenantId: tenant.id }),
    refetchInterval: 5000,
  });

  const newButton =
    canWrite && !creating ? <Button onClick={() => setCreating(true)}>New deployment</Button> : null;

  return (
    <>
      <PageHeader
        title="Deployments"
        description={`Workloads of ${tenant.name} and the state of their instances.`}
        actions={newButton}
      />
      {list.data ? <QuotaUsage tenant={tenant} deployments={list.data} /> : null}
      {creating ? (
        <CreateDeploymentForm
          onDone={() => setCreating(false)}
          recent={list.data?.map((d) => d.image) ?? []}
        />
      ) : null}
      <Card>
        {list.isPending ? (
          <LoadingRows label="deployments" />
        ) : list.isError ? (
          <QueryError what="deployments" error={list.error} onRetry={() => list.refetch()} />
        ) : list.data.length === 0 ? (
          <EmptyState
            title="No deployments yet"
            action={
              canWrite && !creating ? (
                <Button variant="secondary" onClick={() => setCreating(true)}>
                  Create one here instead
                </Button>
              ) : null
            }
          >
            <p>A deployment runs an OCI image as one or more instances at the isolation level you choose.</p>
            <CliHint />
          </EmptyState>
        ) : (
          <DeploymentsTable rows={list.data} canWrite={canWrite} />
        )}
      </Card>
    </>
  );
}

function DeploymentsTable({ rows, canWrite }: { rows: DeploymentDto[]; canWrite: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const remove = useMutation(trpc.deployments.delete.mutationOptions());

  async function del(d: DeploymentDto) {
    await remove.mutateAsync({ tenantId: d.tenantId, deploymentId: d.id });
    await qc.invalidateQueries({ queryKey: trpc.deployments.list.queryKey({ tenantId: d.tenantId }) });
    toast(`Deployment ${d.name} deleted`);
  }

  return (
    <Table label="Deployments">
      <THead>
        <Tr>
          <Th>Name</Th>
          <Th>Image</Th>
          <Th>Isolation</Th>
          <Th className="text-right">Replicas</Th>
          <Th>Instances</Th>
          {canWrite ? (
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          ) : null}
        </Tr>
      </THead>
      <TBody>
        {rows.map((d) => (
          <Tr key={d.id}>
            <Td>
              <Link
                href={`/t/${d.tenantId}/deployments/${d.id}`}
                className="font-medium text-link underline-offset-4 hover:underline"
              >
                {d.name}
              </Link>
              <div className="text-xs text-muted-foreground">
                {d.ports.length ? `${d.ports.map((p) => `${p.port}/${p.protocol}`).join(", ")} · ` : ""}
                created {formatRelative(d.createdAt)}
              </div>
            </Td>
            <Td className="max-w-[16rem] truncate font-mono text-xs" title={d.image}>
              {d.image}
            </Td>
            <Td>
              <Badge>{d.isolation}</Badge>
            </Td>
            <Td className="text-right tabular-nums">{d.replicas}</Td>
            <Td>
              <InstanceStates instances={d.instances} />
            </Td>
            {canWrite ? (
              <Td className="text-right">
                <ConfirmButton
                  trigger="Delete"
                  triggerLabel={`Delete ${d.name}`}
                  title={`Delete ${d.name}?`}
                  description={`The deployment and its ${d.instances.length === 1 ? "instance" : `${d.instances.length} instances`} are removed. This cannot be undone.`}
                  confirmLabel="Delete deployment"
                  onConfirm={() => del(d)}
                />
              </Td>
            ) : null}
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
