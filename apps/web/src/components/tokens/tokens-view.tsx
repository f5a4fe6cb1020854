"use client";
import { useState } from "react";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Card, CardHeader } from "../ui/card";
import { PageHeader } from "../ui/page-header";
import { type CreatedToken, CreateTokenForm } from "./create-token-form";
import { NewToken } from "./new-token";
import { TokensTable } from "./tokens-table";

export function TokensView() {
  const tenant = useTenant();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const header = (
    <PageHeader title="API tokens" description={`Credentials for automation in ${tenant.name}.`} />
  );
  if (!tenant.can("admin")) {
    return (
      <>
        {header}
        <Alert tone="info" title="Admins manage API tokens">
          You are {tenant.role === "member" ? "a member" : `a ${tenant.role}`} of {tenant.name}. Ask an admin
          or owner to create a token for you, or to give you the admin role.
        </Alert>
      </>
    );
  }
  return (
    <>
      {header}
      <div className="grid gap-6">
        {created ? (
          <NewToken token={created} onDone={() => setCreated(null)} />
        ) : (
          <CreateTokenForm onCreated={setCreated} />
        )}
        <Card>
          <CardHeader title="Tokens" description="Only a prefix of each token is kept in the clear." />
          <TokensTable />
        </Card>
      </div>
    </>
  );
}
