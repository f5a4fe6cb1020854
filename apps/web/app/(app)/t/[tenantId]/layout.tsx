import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { TenantProvider } from "@/components/tenants/tenant-context";
import { getTenant } from "@/lib/viewer";

/** Everything under /t/<id> belongs to one tenant; a tenant the viewer is not in does not exist. */
export default async function TenantLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ tenantId: string }>;
}) {
  const tenant = await getTenant((await params).tenantId);
  if (!tenant) notFound();
  return <TenantProvider tenant={tenant}>{children}</TenantProvider>;
}
