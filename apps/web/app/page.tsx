import { redirect } from "next/navigation";
import { getViewer } from "@/lib/viewer";

/** Home: the first tenant's deployments, or tenant creation for someone with none. */
export default async function Home() {
  const viewer = await getViewer();
  if (!viewer) redirect("/sign-in");
  const first = viewer.tenants[0];
  redirect(first ? `/t/${first.id}/deployments` : "/tenants/new");
}
