"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { formatDate, formatRelative } from "@/lib/format";
import { useTRPC, useTRPCClient } from "@/trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Select } from "../ui/input";
import { Label } from "../ui/label";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";

const PAGE = 50;

/** The whole audit log, 50 entries a page, filtered to one tenant or to the platform's own. */
export function AuditLog() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const filterId = useId();
  const [filter, setFilter] = useState("all");
  const tenants = useQuery(trpc.operator.tenants.queryOptions());
  const input =
    filter === "all"
      ? { limit: PAGE }
      : filter === "platform"
        ? { limit: PAGE, platform: true }
        : { limit: PAGE, tenantId: filter };
  // The procedure pages by `before` (an entry id), so the pages are chained here.
  const log = useInfiniteQuery({
    queryKey: [...trpc.operator.audit.queryKey(input), "pages"],
    queryFn: ({ pageParam }) => client.operator.audit.query({ ...input, before: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div className="grid gap-1.5">
          <Label htmlFor={filterId}>Show</Label>
          <Select id={filterId} value={filter} onChange={(e) => setFilter(e.target.value)} className="w-64">
            <option value="all">Everything</option>
            <option value="platform">Platform (hosts, join tokens)</option>
            {tenants.data?.map((t) => (
              <option key={t.id} value={t.id}>
                Tenant: {t.name}
              </option>
            ))}
          </Select>
        </div>
      </div>
      <Card>
        {log.isPending ? (
          <LoadingRows label="audit entries" />
        ) : log.isError ? (
          <QueryError what="the audit log" error={log.error} onRetry={() => log.refetch()} />
        ) : entries.length === 0 ? (
          <EmptyState title="Nothing recorded yet">Actions appear here as people and hosts act.</EmptyState>
        ) : (
          <Table label="Audit log">
            <THead>
              <Tr>
                <Th>When</Th>
                <Th>Who</Th>
                <Th>Action</Th>
                <Th>Where</Th>
                <Th>Target</Th>
              </Tr>
            </THead>
            <TBody>
              {entries.map((e) => (
                <Tr key={e.id}>
                  <Td className="whitespace-nowrap">
                    <time dateTime={e.createdAt} title={formatDate(e.createdAt)}>
                      {formatRelative(e.createdAt)}
                    </time>
                  </Td>
                  <Td>
                    <div>{e.actorName ?? e.actorType}</div>
                    <div className="font-mono text-xs text-muted-foreground">{e.actorId}</div>
                  </Td>
                  <Td>
                    <Badge>{e.action}</Badge>
                  </Td>
                  <Td>{e.tenantName ?? <span className="text-muted-foreground">Platform</span>}</Td>
                  <Td className="font-mono text-xs break-all">{e.target ?? ""}</Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
      </Card>
      {log.hasNextPage ? (
        <div className="mt-4 flex justify-center">
          <Button variant="secondary" pending={log.isFetchingNextPage} onClick={() => log.fetchNextPage()}>
            Load older entries
          </Button>
        </div>
      ) : null}
    </>
  );
}
