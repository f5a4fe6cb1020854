"use client";
import type { VolumeDto, VolumeListDto } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { formatDate, formatMemory, formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Meter } from "../deployments/quota-usage";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmButton } from "../ui/dialog";
import { EmptyState } from "../ui/empty-state";
import { PageHeader } from "../ui/page-header";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

export function VolumesView() {
  const tenant = useTenant();
  const header = (
    <PageHeader
      title="Volumes"
      description={`Persistent storage of ${tenant.name}: made when a deployment first mounts it, kept until deleted here.`}
    />
  );
  if (!tenant.can("member")) {
    return (
      <>
        {header}
        <Alert tone="info" title="Members see volumes">
          You are a {tenant.role} of {tenant.name}. The deployments page shows what each deployment mounts.
        </Alert>
      </>
    );
  }
  return (
    <>
      {header}
      <VolumesCards />
    </>
  );
}

function VolumesCards() {
  const trpc = useTRPC();
  const tenant = useTenant();
  const list = useQuery(trpc.volumes.list.queryOptions({ tenantId: tenant.id }));
  return (
    <div className="grid gap-6">
      {list.data ? <VolumeQuota list={list.data} /> : null}
      <Card>
        <CardHeader
          title="Volumes"
          description="Each lives on one host; the instances that mount it are placed there."
        />
        {list.isPending ? (
          <LoadingRows label="volumes" />
        ) : list.isError ? (
          <QueryError what="volumes" error={list.error} onRetry={() => list.refetch()} />
        ) : list.data.volumes.length === 0 ? (
          <EmptyState title="No volumes yet">
            A volume is made when a deployment at the container level first mounts it (the Volume field of{" "}
            <Link
              href={`/t/${tenant.id}/deployments`}
              className="font-medium text-link underline-offset-4 hover:underline"
            >
              a new deployment
            </Link>
            ).
          </EmptyState>
        ) : (
          <VolumesTable volumes={list.data.volumes} />
        )}
      </Card>
    </div>
  );
}

function VolumeQuota({ list }: { list: VolumeListDto }) {
  return (
    <Card>
      <CardHeader title="Usage against quota" />
      <CardBody>
        <Meter
          label="Volume storage"
          used={list.usedMiB}
          limit={list.quotaMiB}
          text={`${formatMemory(list.usedMiB)} of ${formatMemory(list.quotaMiB)}`}
        />
        <p className="mt-2 text-sm text-muted-foreground">
          Every volume counts at its full size from the moment it is made; a new one beyond the quota is
          refused.
        </p>
      </CardBody>
    </Card>
  );
}

function VolumesTable({ volumes }: { volumes: VolumeDto[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const tenant = useTenant();
  const input = { tenantId: tenant.id };
  const remove = useMutation(trpc.volumes.delete.mutationOptions());
  const admin = tenant.can("admin");

  return (
    <>
      <Table label="Volumes">
        <THead>
          <Tr>
            <Th>Name</Th>
            <Th>Size</Th>
            <Th>Host</Th>
            <Th>Used by</Th>
            <Th>Created</Th>
            {admin ? (
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            ) : null}
          </Tr>
        </THead>
        <TBody>
          {volumes.map((v) => (
            <Tr key={v.id}>
              <Td className="font-mono font-medium">{v.name}</Td>
              <Td className="whitespace-nowrap tabular-nums">{formatMemory(v.sizeMiB)}</Td>
              <Td className="whitespace-nowrap">
                {v.host ? v.host.name : <span className="text-muted-foreground">Not placed yet</span>}
              </Td>
              <Td>
                {v.usedBy.length === 0 ? (
                  <span className="text-muted-foreground">Nothing</span>
                ) : (
                  <ul className="grid gap-1">
                    {v.usedBy.map((u) => (
                      <li key={u.deploymentId} className="flex flex-wrap items-center gap-x-1.5">
                        <Link
                          href={`/t/${tenant.id}/deployments/${u.deploymentId}`}
                          className="font-medium text-link underline-offset-4 hover:underline"
                        >
                          {u.deploymentName}
                        </Link>
                        <span className="text-muted-foreground">
                          at <code className="font-mono text-xs">{u.mountPath}</code>
                        </span>
                        {u.readOnly ? <Badge>read-only</Badge> : null}
                      </li>
                    ))}
                  </ul>
                )}
              </Td>
              <Td className="whitespace-nowrap">
                <time dateTime={v.createdAt} title={formatDate(v.createdAt)}>
                  {formatRelative(v.createdAt)}
                </time>
              </Td>
              {admin ? (
                <Td className="text-right">
                  {v.usedBy.length === 0 ? (
                    <ConfirmButton
                      trigger="Delete"
                      triggerLabel={`Delete volume ${v.name}`}
                      title={`Delete volume “${v.name}”?`}
                      description={
                        v.host
                          ? `Its data on ${v.host.name} is deleted too, within seconds. This cannot be undone.`
                          : "It was never placed on a host, so it holds no data. This cannot be undone."
                      }
                      confirmLabel="Delete volume"
                      onConfirm={async () => {
                        await remove.mutateAsync({ ...input, name: v.name });
                        await qc.invalidateQueries({ queryKey: trpc.volumes.list.queryKey(input) });
                        toast(`Volume ${v.name} deleted`);
                      }}
                    />
                  ) : null}
                </Td>
              ) : null}
            </Tr>
          ))}
        </TBody>
      </Table>
      {admin ? (
        <p className="border-t border-border px-5 py-3 text-sm text-muted-foreground">
          A volume can be deleted once no deployment mounts it: delete those deployments, or update them not
          to mount it.
        </p>
      ) : null}
    </>
  );
}
