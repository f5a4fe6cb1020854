"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDate, formatRelative } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Badge } from "../ui/badge";
import { ConfirmButton } from "../ui/dialog";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

export function InvitationsTable() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const tenant = useTenant();
  const input = { tenantId: tenant.id };
  const list = useQuery(trpc.members.invitations.queryOptions(input));
  const revoke = useMutation(trpc.members.revokeInvitation.mutationOptions());

  if (list.isPending) return <LoadingRows label="invitations" rows={2} />;
  if (list.isError)
    return <QueryError what="invitations" error={list.error} onRetry={() => list.refetch()} />;
  if (list.data.length === 0) {
    return <p className="px-5 py-6 text-sm text-muted-foreground">No open invitations.</p>;
  }
  return (
    <Table label="Open invitations">
      <THead>
        <Tr>
          <Th>Email</Th>
          <Th>Role</Th>
          <Th>Expires</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </Tr>
      </THead>
      <TBody>
        {list.data.map((i) => (
          <Tr key={i.id}>
            <Td className="font-medium">{i.email}</Td>
            <Td>
              <Badge>{i.role}</Badge>
            </Td>
            <Td className="whitespace-nowrap text-muted-foreground">
              <time dateTime={i.expiresAt} title={formatDate(i.expiresAt)}>
                {formatRelative(i.expiresAt)}
              </time>
            </Td>
            <Td className="text-right">
              <ConfirmButton
                trigger="Revoke"
                triggerLabel={`Revoke invitation for ${i.email}`}
                title={`Revoke the invitation for ${i.email}?`}
                description="The link stops working at once. You can invite them again later."
                confirmLabel="Revoke invitation"
                onConfirm={async () => {
                  await revoke.mutateAsync({ ...input, invitationId: i.id });
                  await qc.invalidateQueries({ queryKey: trpc.members.invitations.queryKey(input) });
                  toast(`Invitation for ${i.email} revoked`);
                }}
              />
            </Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
