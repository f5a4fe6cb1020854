import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/shell/app-shell";
import { getViewer } from "@/lib/viewer";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/sign-in");
  return (
    <AppShell user={viewer.user} tenants={viewer.tenants}>
      {children}
    </AppShell>
  );
}
