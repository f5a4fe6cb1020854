import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { MembersView } from "@/components/members/members-view";
import { getViewer } from "@/lib/viewer";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/sign-in");
  return <MembersView meId={viewer.user.id} />;
}
