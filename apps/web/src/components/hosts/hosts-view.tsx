"use client";
import type { hostDto } from "@berth/contracts";
import { useQuery } from "@tanstack/react-query";
import type { z } from "zod";
import { formatCpu, formatDate, formatMemory, formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Badge, type BadgeTone } from "../ui/badge";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { HostActions } from "./host-actions";
import { CapacityBar, DrainProgress } from "./meters";

type Host = z.infer<typeof hostDto>;

const statusTone: Record<Host["status"], BadgeTone> = {
  ready: "success",
  pending: "warning",
  down: "danger",
  removed: "neutral",
};

export function HostsView() {
  const trpc = useTRPC();
  // Heartbeats arrive every few seconds; a slower poll is enough to see a host go down. While a
  // drain moves instances, a faster one shows its progress as it happens.
  const list = useQuery({
    ...trpc.hosts.list.queryOptions(),
    refetchInterval: (q) => (q.state.data?.some((h) => h.drain && h.drain.remaining > 0) ? 2000 : 10_000),
  });

  return (
    <Card>
      {list.isPending ? (
        <LoadingRows label="hosts" />
      ) : list.isError ? (
        <QueryError what="hosts" error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No hosts have joined yet">
          Hosts appear here when a node agent enrolls with a join token and starts sending heartbeats. Until
          then the scheduler has nowhere to place instances, so new deployments wait in{" "}
          <strong>pending</strong>.
        </EmptyState>
      ) : (
        <HostsTable hosts={list.data} />
      )}
    </Card>
  );
}

function HostsTable({ hosts }: { hosts: Host[] }) {
  // Five columns, so the actions fit a laptop's 1280 px without scrolling sideways; the
  // details stack inside their cells, and on a phone the table scrolls inside its card.
  return (
    <Table label="Hosts">
      <THead>
        <Tr>
          <Th>Host</Th>
          <Th>Reserved of capacity</Th>
          <Th>Isolation</Th>
          <Th>Last heartbeat</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </Tr>
      </THead>
      <TBody>
        {hosts.map((h) => (
          <Tr key={h.id} className="align-top">
            <Td className="min-w-48">
              <div className="font-medium">{h.name}</div>
              <div className="font-mono text-xs text-muted-foreground">{h.address}</div>
              <div className="mt-1.5 flex flex-wrap gap-1">
                <Badge tone={statusTone[h.status]}>{h.status}</Badge>
                {h.cordoned ? <Badge tone="warning">cordoned</Badge> : null}
                {h.draining ? <Badge tone="info">draining</Badge> : null}
              </div>
              {h.drain ? (
                <DrainProgress hostName={h.name} moved={h.drain.moved} remaining={h.drain.remaining} />
              ) : null}
            </Td>
            <Td className="min-w-56">
              <div className="grid gap-2">
                <CapacityBar
                  label="CPU"
                  used={h.reserved.cpuMillis}
                  total={h.capacity.cpuMillis}
                  format={formatCpu}
                />
                <CapacityBar
                  label="Memory"
                  used={h.reserved.memoryMiB}
                  total={h.capacity.memoryMiB}
                  format={formatMemory}
                />
                <CapacityBar
                  label="Instances"
                  used={h.instanceCount}
                  total={h.capacity.maxInstances}
                  format={String}
                />
              </div>
            </Td>
            <Td className="min-w-40">
              <div className="flex flex-wrap gap-1">
                {h.isolationLevels.length ? (
                  h.isolationLevels.map((l) => <Badge key={l}>{l}</Badge>)
                ) : (
                  <span className="text-muted-foreground">No level</span>
                )}
              </div>
              <div className="mt-1.5 text-xs text-muted-foreground">
                Accelerator: <span className="text-foreground">{h.accelerator ?? "none"}</span>
              </div>
              {h.guestKernel ? (
                <div className="text-xs text-muted-foreground" title="the guest kernel micro-VMs boot">
                  Guest kernel: <span className="text-foreground">{h.guestKernel}</span>
                </div>
              ) : null}
            </Td>
            <Td className="whitespace-nowrap">
              {h.lastHeartbeatAt ? (
                <time dateTime={h.lastHeartbeatAt} title={formatDate(h.lastHeartbeatAt)}>
                  {formatRelative(h.lastHeartbeatAt)}
                </time>
              ) : (
                <span className="text-muted-foreground">Never</span>
              )}
            </Td>
            <Td>
              <HostActions host={h} />
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
