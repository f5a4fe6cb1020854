"use client";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmButton } from "../ui/dialog";
import { PageHeader } from "../ui/page-header";
import { InvitationsTable } from "./invitations-table";
import { InviteForm } from "./invite-form";
import { MembersTable } from "./members-table";

export function MembersView({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const tenant = useTenant();
  const admin = tenant.can("admin");
  const leave = useMutation(trpc.tenants.leave.mutationOptions());

  return (
    <>
      <PageHeader title="Members" description={`People with access to ${tenant.name}, and their roles.`} />
      <div className="grid gap-6">
        {admin ? <InviteForm /> : null}
        <Card>
          <CardHeader title="Members" />
          <MembersTable meId={meId} />
        </Card>
        {admin ? (
          <Card>
            <CardHeader title="Open invitations" description="Not yet accepted and not expired." />
            <InvitationsTable />
          </Card>
        ) : null}
        <Card>
          <CardHeader title="Leave tenant" />
          <CardBody className="flex flex-wrap items-center justify-between gap-4">
            <p className="text-sm text-muted-foreground">
              You lose access to {tenant.name} and your API tokens for it stop working. A tenant must keep one
              owner.
            </p>
            <ConfirmButton
              trigger="Leave tenant"
              triggerVariant="danger"
              triggerSize="md"
              title={`Leave ${tenant.name}?`}
              description="To come back, an admin has to invite you again."
              confirmLabel="Leave tenant"
              onConfirm={async () => {
                await leave.mutateAsync({ tenantId: tenant.id });
                // A full load: the shell's tenant list and this page's tenant both change.
                window.location.assign("/");
              }}
            />
          </CardBody>
        </Card>
      </div>
    </>
  );
}
