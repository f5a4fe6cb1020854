"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { Badge } from "../ui/badge";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";

const columns = ["waiting", "active", "delayed", "failed", "completed", "paused"] as const;

/** Job counts per queue, refreshed every few seconds: a growing backlog or failures stand out. */
export function QueuesView() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.operator.queues.queryOptions(), refetchInterval: 5000 });
  return (
    <Card>
      {list.isPending ? (
        <LoadingRows label="queues" />
      ) : list.isError ? (
        <QueryError what="queues" error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No queues">The placement queue appears once the control plane runs.</EmptyState>
      ) : (
        <Table label="Queues">
          <THead>
            <Tr>
              <Th>Queue</Th>
              {columns.map((c) => (
                <Th key={c} className="text-right">
                  {c}
                </Th>
              ))}
            </Tr>
          </THead>
          <TBody>
            {list.data.map((q) => (
              <Tr key={q.name}>
                <Td>
                  <div className="font-medium">{q.kind === "host" ? q.hostName : "Placement"}</div>
                  <div className="font-mono text-xs text-muted-foreground">{q.name}</div>
                </Td>
                {columns.map((c) => (
                  <Td key={c} className="text-right tabular-nums">
                    {c === "failed" && q.counts.failed > 0 ? (
                      <Badge tone="danger">{q.counts.failed}</Badge>
                    ) : (
                      q.counts[c]
                    )}
                  </Td>
                ))}
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
    </Card>
  );
}
