import type { Metadata } from "next";
import { AuditLog } from "@/components/operator/audit-log";
import { OperatorPage } from "@/components/operator/operator-page";

export const metadata: Metadata = { title: "Audit log" };

export default function AuditPage() {
  return (
    <OperatorPage
      title="Audit log"
      description="Who did what, in every tenant and on the platform, newest first."
    >
      <AuditLog />
    </OperatorPage>
  );
}
