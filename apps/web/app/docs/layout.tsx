import Link from "next/link";
import type { ReactNode } from "react";
import { AppShell } from "@/components/shell/app-shell";
import { Logo } from "@/components/shell/logo";
import { buttonClasses } from "@/components/ui/button";
import { getViewer } from "@/lib/viewer";

/** The docs are public: signed-in people see them inside the dashboard, others with a plain header. */
export default async function DocsLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (viewer) {
    return (
      <AppShell user={viewer.user} tenants={viewer.tenants}>
        {children}
      </AppShell>
    );
  }
  return (
    <div className="min-h-dvh">
      <header className="border-b border-border bg-card">
        <div className="mx-auto flex h-14 max-w-6xl items-center justify-between px-4 sm:px-6">
          <Logo />
          <Link href="/sign-in" className={buttonClasses("secondary", "sm")}>
            Sign in
          </Link>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
        {children}
      </main>
    </div>
  );
}
