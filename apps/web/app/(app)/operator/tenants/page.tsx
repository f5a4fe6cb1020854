import type { Metadata } from "next";
import { OperatorPage } from "@/components/operator/operator-page";
import { TenantsAdmin } from "@/components/operator/tenants-admin";

export const metadata: Metadata = { title: "Tenants" };

export default function TenantsAdminPage() {
  return (
    <OperatorPage title="Tenants" description="Every tenant: its usage, quotas and isolation policy.">
      <TenantsAdmin />
    </OperatorPage>
  );
}
