import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { HostsView } from "@/components/hosts/hosts-view";
import { JoinHost } from "@/components/hosts/join-host";
import { Alert } from "@/components/ui/alert";
import { PageHeader } from "@/components/ui/page-header";
import { getViewer } from "@/lib/viewer";

export const metadata: Metadata = { title: "Hosts" };

export default async function HostsPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/sign-in");
  return (
    <>
      <PageHeader
        title="Hosts"
        description="Machines that run tenants' instances: capacity, supported levels and health."
      />
      {viewer.user.isOperator ? (
        <>
          <JoinHost />
          <HostsView />
        </>
      ) : (
        <Alert tone="info" title="Platform operators only">
          Hosts are managed by the operators of this Berth installation.
        </Alert>
      )}
    </>
  );
}
