import { redirect } from "next/navigation";

export default async function TenantHome({ params }: { params: Promise<{ tenantId: string }> }) {
  redirect(`/t/${(await params).tenantId}/deployments`);
}
