import type { Metadata } from "next";
import { CreateTenantForm } from "@/components/tenants/create-tenant-form";
import { getViewer } from "@/lib/viewer";

export const metadata: Metadata = { title: "New tenant" };

export default async function NewTenantPage() {
  const viewer = await getViewer();
  const first = (viewer?.tenants.length ?? 0) === 0;
  return (
    <div className="mx-auto max-w-lg">
      <h1 className="text-2xl font-semibold tracking-tight">
        {first ? "Create your first tenant" : "New tenant"}
      </h1>
      <p className="mt-1 mb-6 text-sm text-muted-foreground">
        A tenant holds deployments, members and API tokens. You become its owner.
      </p>
      <CreateTenantForm />
    </div>
  );
}
