"use client";
import type { hostDto } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { formatCpu, formatDate, formatMemory, formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Badge, type BadgeTone } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

type Host = z.infer<typeof hostDto>;

const statusTone: Record<Host["status"], BadgeTone> = {
  ready: "success",
  pending: "warning",
  down: "danger",
  removed: "neutral",
};

export function HostsView() {
  const trpc = useTRPC();
  // Heartbeats arrive every few seconds; a slower poll is enough to see a host go down.
  const list = useQuery({ ...trpc.hosts.list.queryOptions(), refetchInterval: 10_000 });

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
  return (
    <Table label="Hosts">
      <THead>
        <Tr>
          <Th>Host</Th>
          <Th>Status</Th>
          <Th>Capacity</Th>
          <Th className="text-right">Instances</Th>
          <Th>Isolation levels</Th>
          <Th>Accelerator</Th>
          <Th>Last heartbeat</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </Tr>
      </THead>
      <TBody>
        {hosts.map((h) => (
          <Tr key={h.id}>
            <Td>
              <div className="font-medium">{h.name}</div>
              <div className="font-mono text-xs text-muted-foreground">{h.address}</div>
            </Td>
            <Td>
              <div className="flex flex-wrap gap-1">
                <Badge tone={statusTone[h.status]}>{h.status}</Badge>
                {h.cordoned ? <Badge tone="warning">cordoned</Badge> : null}
                {h.draining ? <Badge tone="warning">draining</Badge> : null}
              </div>
            </Td>
            <Td className="whitespace-nowrap">
              {formatCpu(h.capacity.cpuMillis)} · {formatMemory(h.capacity.memoryMiB)}
            </Td>
            <Td className="text-right tabular-nums">
              {h.instanceCount} / {h.capacity.maxInstances}
            </Td>
            <Td>
              <div className="flex flex-wrap gap-1">
                {h.isolationLevels.map((l) => (
                  <Badge key={l}>{l}</Badge>
                ))}
              </div>
            </Td>
            <Td>{h.accelerator ?? <span className="text-muted-foreground">None</span>}</Td>
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

/** Cordon or uncordon, drain, remove: each refreshes the list and says what happened. */
function HostActions({ host }: { host: Host }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const done = async (what: string) => {
    await qc.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
    toast(`${host.name}: ${what}`);
  };
  const onError = (e: { message: string }) => toast(`${host.name}: ${e.message}`);
  const cordon = useMutation(trpc.hosts.cordon.mutationOptions({ onError }));
  const drain = useMutation(trpc.hosts.drain.mutationOptions({ onError }));
  const remove = useMutation(trpc.hosts.remove.mutationOptions({ onError }));
  if (host.status === "removed") return null;
  return (
    <div className="flex justify-end gap-2">
      <Button
        size="sm"
        variant="secondary"
        pending={cordon.isPending}
        onClick={() =>
          cordon.mutate(
            { hostId: host.id, cordoned: !host.cordoned },
            { onSuccess: () => done(host.cordoned ? "uncordoned" : "cordoned") },
          )
        }
      >
        {host.cordoned ? "Uncordon" : "Cordon"}
      </Button>
      {host.draining ? null : (
        <Button
          size="sm"
          variant="secondary"
          pending={drain.isPending}
          onClick={() => drain.mutate({ hostId: host.id }, { onSuccess: () => done("draining") })}
        >
          Drain
        </Button>
      )}
      <Button
        size="sm"
        variant="secondary"
        pending={remove.isPending}
        onClick={() => remove.mutate({ hostId: host.id }, { onSuccess: () => done("removed") })}
      >
        Remove
      </Button>
    </div>
  );
}
