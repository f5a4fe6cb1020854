"use client";
import type { operatorTenantDto } from "@berth/contracts";
import { useQuery } from "@tanstack/react-query";
import type { z } from "zod";
import { formatCpu, formatMemory } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Badge } from "../ui/badge";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { EditPolicy } from "./edit-policy";

export type OperatorTenant = z.infer<typeof operatorTenantDto>;

export function TenantsAdmin() {
  const trpc = useTRPC();
  const list = useQuery(trpc.operator.tenants.queryOptions());
  return (
    <Card>
      {list.isPending ? (
        <LoadingRows label="tenants" />
      ) : list.isError ? (
        <QueryError what="tenants" error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No tenants yet">Tenants appear here as people sign up and create them.</EmptyState>
      ) : (
        <Table label="Tenants">
          <THead>
            <Tr>
              <Th>Tenant</Th>
              <Th>Usage</Th>
              <Th>Quotas</Th>
              <Th>Isolation policy</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </Tr>
          </THead>
          <TBody>
            {list.data.map((t) => (
              <Tr key={t.id} className="align-top">
                <Td>
                  <div className="font-medium">{t.name}</div>
                  <div className="font-mono text-xs text-muted-foreground">{t.slug}</div>
                </Td>
                <Td className="whitespace-nowrap text-xs">
                  <div>{t.members} member(s)</div>
                  <div>{t.deployments} deployment(s)</div>
                  <div>
                    {t.instances} of {t.quota.instances} instances
                  </div>
                </Td>
                <Td className="whitespace-nowrap text-xs">
                  <div>CPU {formatCpu(t.quota.cpuMillis)}</div>
                  <div>Memory {formatMemory(t.quota.memoryMiB)}</div>
                  <div>Instances {t.quota.instances}</div>
                </Td>
                <Td>
                  <div className="flex flex-wrap gap-1">
                    {t.isolation.allowed.map((l) => (
                      <Badge key={l} tone={l === t.isolation.default ? "info" : "neutral"}>
                        {l}
                        {l === t.isolation.default ? " (default)" : ""}
                      </Badge>
                    ))}
                  </div>
                  {t.isolation.dedicatedHosts ? (
                    <div className="mt-1 text-xs text-muted-foreground">Dedicated hosts</div>
                  ) : null}
                </Td>
                <Td className="text-right">
                  <EditPolicy tenant={t} />
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
    </Card>
  );
}
