import type { TenantDto } from "@berth/contracts";
import type { ReactNode } from "react";
import { TopBar } from "./top-bar";
import type { ShellUser } from "./types";

export function AppShell({
  user,
  tenants,
  children,
}: {
  user: ShellUser;
  tenants: TenantDto[];
  children: ReactNode;
}) {
  return (
    <div className="min-h-dvh">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-4 focus:z-50 focus:rounded-md focus:bg-card focus:px-3 focus:py-2 focus:text-sm focus:shadow"
      >
        Skip to content
      </a>
      <TopBar user={user} tenants={tenants} />
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
        {children}
      </main>
    </div>
  );
}
