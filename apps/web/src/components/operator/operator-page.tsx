import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getViewer } from "@/lib/viewer";
import { Alert } from "../ui/alert";
import { PageHeader } from "../ui/page-header";

/** An operators-only page: everyone else is told so (the API refuses them with 403 anyway). */
export async function OperatorPage({
  title,
  description,
  children,
}: {
  title: string;
  description: string;
  children: ReactNode;
}) {
  const viewer = await getViewer();
  if (!viewer) redirect("/sign-in");
  return (
    <>
      <PageHeader title={title} description={description} />
      {viewer.user.isOperator ? (
        children
      ) : (
        <Alert tone="info" title="Platform operators only">
          This page is for the operators of this Berth installation.
        </Alert>
      )}
    </>
  );
}
