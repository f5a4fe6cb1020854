"use client";
import type { Role } from "@berth/contracts";
import { canAssignRole } from "@berth/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage } from "@/lib/errors";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Badge } from "../ui/badge";
import { ConfirmButton } from "../ui/dialog";
import { Select } from "../ui/input";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

const roles: Role[] = ["owner", "admin", "member", "viewer"];

export function MembersTable({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const tenant = useTenant();
  const input = { tenantId: tenant.id };
  const list = useQuery(trpc.members.list.queryOptions(input));
  const setRole = useMutation(trpc.members.setRole.mutationOptions());
  const remove = useMutation(trpc.members.remove.mutationOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.members.list.queryKey(input) });

  if (list.isPending) return <LoadingRows label="members" />;
  if (list.isError) return <QueryError what="members" error={list.error} onRetry={() => list.refetch()} />;

  const myRole = tenant.role;
  return (
    <Table label="Members">
      <THead>
        <Tr>
          <Th>Member</Th>
          <Th>Role</Th>
          <Th className="hidden sm:table-cell">Joined</Th>
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </Tr>
      </THead>
      <TBody>
        {list.data.map((m) => {
          const self = m.userId === meId;
          const options = roles.filter((r) => r === m.role || (myRole && canAssignRole(myRole, m.role, r)));
          const editable = !self && options.length > 1;
          return (
            <Tr key={m.userId}>
              <Td>
                <div className="flex items-center gap-2 font-medium">
                  {m.name}
                  {self ? <Badge tone="info">you</Badge> : null}
                </div>
                <div className="text-xs text-muted-foreground">{m.email}</div>
              </Td>
              <Td>
                {editable ? (
                  <Select
                    aria-label={`Role of ${m.name}`}
                    value={m.role}
                    disabled={setRole.isPending}
                    className="w-32"
                    onChange={(e) => {
                      const role = e.target.value as Role;
                      setRole.mutate(
                        { ...input, userId: m.userId, role },
                        {
                          onSuccess: () =>
                            toast(
                              `${m.name} is now ${role === "admin" || role === "owner" ? "an" : "a"} ${role}`,
                            ),
                          onError: (err) => toast(errorMessage(err), "error"),
                          onSettled: refresh,
                        },
                      );
                    }}
                  >
                    {options.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </Select>
                ) : (
                  <Badge>{m.role}</Badge>
                )}
              </Td>
              <Td className="hidden whitespace-nowrap text-muted-foreground sm:table-cell">
                {formatDate(m.createdAt)}
              </Td>
              <Td className="text-right">
                {editable ? (
                  <ConfirmButton
                    trigger="Remove"
                    triggerLabel={`Remove ${m.name}`}
                    title={`Remove ${m.name}?`}
                    description={`${m.email} loses access to ${tenant.name}, and API tokens they created stop working.`}
                    confirmLabel="Remove member"
                    onConfirm={async () => {
                      await remove.mutateAsync({ ...input, userId: m.userId });
                      await refresh();
                      toast(`${m.name} was removed`);
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
