"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { QueueJobs } from "./queue-jobs";

const columns = ["waiting", "active", "delayed", "failed", "completed", "paused"] as const;

/**
 * Job counts per queue, refreshed every few seconds: a growing backlog or failures stand out.
 * Below, the chosen queue's jobs (the placement queue's at first), to read, retry or remove.
 */
export function QueuesView() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.operator.queues.queryOptions(), refetchInterval: 5000 });
  const [chosen, setChosen] = useState("placement");
  const shown = list.data?.find((q) => q.name === chosen) ?? list.data?.[0];
  const titleOf = (q: { kind: string; hostName: string | null }) =>
    q.kind === "host" ? `host ${q.hostName}` : "placement";
  return (
    <div className="grid gap-6">
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
                <Th>
                  <span className="sr-only">Jobs</span>
                </Th>
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
                  <Td className="text-right">
                    <Button
                      size="sm"
                      variant={q.name === shown?.name ? "primary" : "secondary"}
                      aria-pressed={q.name === shown?.name}
                      aria-label={`Jobs of ${titleOf(q)}`}
                      onClick={() => setChosen(q.name)}
                    >
                      Jobs
                    </Button>
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
      </Card>
      {shown ? <QueueJobs key={shown.name} queue={shown.name} title={titleOf(shown)} /> : null}
    </div>
  );
}
