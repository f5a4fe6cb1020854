"use client";
import type { tokenDto } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { formatDate, formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Badge } from "../ui/badge";
import { ConfirmButton } from "../ui/dialog";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

type Token = z.infer<typeof tokenDto>;

function status(t: Token): "active" | "revoked" | "expired" {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now()) return "expired";
  return "active";
}

function When({ iso, empty }: { iso: string | null; empty: string }) {
  if (!iso) return <span className="text-muted-foreground">{empty}</span>;
  return (
    <time dateTime={iso} title={formatDate(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

export function TokensTable() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const tenant = useTenant();
  const input = { tenantId: tenant.id };
  const list = useQuery(trpc.tokens.list.queryOptions(input));
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions());

  if (list.isPending) return <LoadingRows label="API tokens" />;
  if (list.isError) return <QueryError what="API tokens" error={list.error} onRetry={() => list.refetch()} />;
  if (list.data.length === 0) {
    return (
      <EmptyState title="No API tokens yet">
        Create one above to use the CLI or the REST API. Each token acts in this tenant only.
      </EmptyState>
    );
  }
  return (
    <Table label="API tokens">
      <THead>
        <Tr>
          <Th>Name</Th>
          <Th>Scopes</Th>
          <Th>Created</Th>
          <Th>Last used</Th>
          <Th>Expires</Th>
          <Th>Status</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </Tr>
      </THead>
      <TBody>
        {list.data.map((t) => {
          const s = status(t);
          return (
            <Tr key={t.id}>
              <Td>
                <div className="font-medium">{t.name}</div>
                <div className="font-mono text-xs text-muted-foreground">{t.prefix}…</div>
              </Td>
              <Td>
                <div className="flex gap-1">
                  {t.scopes.map((sc) => (
                    <Badge key={sc}>{sc}</Badge>
                  ))}
                </div>
              </Td>
              <Td className="whitespace-nowrap">
                <When iso={t.createdAt} empty="—" />
              </Td>
              <Td className="whitespace-nowrap">
                <When iso={t.lastUsedAt} empty="Never" />
              </Td>
              <Td className="whitespace-nowrap">
                <When iso={t.expiresAt} empty="Never" />
              </Td>
              <Td>
                <Badge tone={s === "active" ? "success" : s === "revoked" ? "danger" : "warning"}>{s}</Badge>
              </Td>
              <Td className="text-right">
                {s === "active" ? (
                  <ConfirmButton
                    trigger="Revoke"
                    triggerLabel={`Revoke ${t.name}`}
                    title={`Revoke “${t.name}”?`}
                    description="Anything using this token loses access at once. This cannot be undone."
                    confirmLabel="Revoke token"
                    onConfirm={async () => {
                      await revoke.mutateAsync({ ...input, tokenId: t.id });
                      await qc.invalidateQueries({ queryKey: trpc.tokens.list.queryKey(input) });
                      toast(`Token ${t.name} revoked`);
                    }}
                  />
                ) : null}
              </Td>
            </Tr>
          );
        })}
      </TBody>
    </Table>
  );
}
