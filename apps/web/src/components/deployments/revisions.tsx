"use client";
import type { DeploymentDto } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

/** What changed between a revision and the one before it, in a few words. */
function summary(spec: Record<string, unknown>): string {
  const env = Object.entries((spec.env ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  // names only: the API keeps a revision's secret values to itself
  const secrets = Array.isArray(spec.secrets) ? (spec.secrets as string[]) : [];
  const parts = [
    `${spec.cpuMillis} m CPU`,
    `${spec.memoryMiB} MiB`,
    env.length ? env.join(" ") : "no env",
    ...(secrets.length ? [`secrets ${secrets.join(", ")}`] : []),
  ];
  return parts.join(" · ");
}

/**
 * The generations on record, newest first, each with a way back to it. A rollback is itself a
 * new generation with the old spec (history only grows), rolled out like any update.
 */
export function Revisions({ deployment: d }: { deployment: DeploymentDto }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tenant = useTenant();
  const ref = { tenantId: d.tenantId, deploymentId: d.id };
  const q = useQuery(trpc.deployments.revisions.queryOptions(ref));
  const rollback = useMutation(trpc.deployments.rollback.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const { refetch } = q;
  // a new generation (from the update form, another tab, or an automatic rollback) is a new row
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch when the generation changes
  useEffect(() => {
    void refetch();
  }, [d.generation, refetch]);

  async function back(to: number) {
    setError(null);
    try {
      const next = await rollback.mutateAsync({ ...ref, toGeneration: to });
      await qc.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
      toast(`Rolling back to generation ${to} as generation ${next.generation}`);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <Card>
      <CardHeader
        id="history-heading"
        title="History"
        description="Every generation on record. Rolling back starts a new generation with the old one's settings."
      />
      {error ? (
        <Alert tone="danger" className="mx-5 mt-4">
          {error}
        </Alert>
      ) : null}
      {q.isPending ? (
        <LoadingRows label="the history" />
      ) : q.isError ? (
        <QueryError what="the history" error={q.error} onRetry={() => q.refetch()} />
      ) : q.data.length === 0 ? (
        <p className="px-5 py-4 text-sm text-muted-foreground">
          Generation 1 is the only one so far: updates and rollbacks appear here.
        </p>
      ) : (
        <Table label={`Generations of ${d.name}`}>
          <THead>
            <Tr>
              <Th>Generation</Th>
              <Th>Image and settings</Th>
              <Th>Reason</Th>
              <Th>When</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </Tr>
          </THead>
          <TBody>
            {q.data.map((r) => (
              <Tr key={r.generation}>
                <Td className="tabular-nums">
                  {r.generation} {r.generation === d.generation ? <Badge tone="info">current</Badge> : null}
                </Td>
                <Td className="max-w-md">
                  <div className="truncate font-mono text-xs">{String(r.spec.image)}</div>
                  <div className="truncate text-xs text-muted-foreground">{summary(r.spec)}</div>
                </Td>
                <Td>{r.reason}</Td>
                <Td className="whitespace-nowrap text-muted-foreground">{formatRelative(r.createdAt)}</Td>
                <Td className="text-right">
                  {r.generation < d.generation && tenant.can("member") ? (
                    <Button
                      variant="secondary"
                      size="sm"
                      aria-label={`Roll back to generation ${r.generation}`}
                      pending={rollback.isPending && rollback.variables?.toGeneration === r.generation}
                      disabled={rollback.isPending}
                      onClick={() => back(r.generation)}
                    >
                      Roll back
                    </Button>
                  ) : null}
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
    </Card>
  );
}
