"use client";
import type { TenantDto } from "@berth/contracts";
import { useQuery } from "@tanstack/react-query";
import { useParams, usePathname } from "next/navigation";
import { useTRPC } from "@/trpc/client";
import { NavTabs } from "../ui/nav-tabs";
import { Logo } from "./logo";
import { TenantSwitcher } from "./tenant-switcher";
import type { ShellUser } from "./types";
import { UserMenu } from "./user-menu";

const sections = ["deployments", "volumes", "members", "tokens"] as const;

export function TopBar({ user, tenants: initial }: { user: ShellUser; tenants: TenantDto[] }) {
  const trpc = useTRPC();
  // Seeded by the server; refetched when a page creates, joins or leaves a tenant.
  const { data: tenants } = useQuery(trpc.tenants.list.queryOptions(undefined, { initialData: initial }));
  const params = useParams<{ tenantId?: string }>();
  const pathname = usePathname();
  const current = tenants.find((t) => t.id === params.tenantId);
  const tenantId = current?.id ?? tenants[0]?.id;
  const section = sections.find((s) => pathname.endsWith(`/${s}`)) ?? "deployments";

  const links = [
    ...(tenantId
      ? [
          { href: `/t/${tenantId}/deployments`, label: "Deployments" },
          { href: `/t/${tenantId}/volumes`, label: "Volumes" },
          { href: `/t/${tenantId}/members`, label: "Members" },
          { href: `/t/${tenantId}/tokens`, label: "Tokens" },
        ]
      : []),
    { href: "/docs/api", label: "API docs" },
    ...(user.isOperator ? [{ href: "/operator/hosts", label: "Hosts" }] : []),
  ];

  return (
    <header className="border-b border-border bg-card">
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-2 px-4 sm:gap-3 sm:px-6">
        <Logo />
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5 shrink-0 text-muted-foreground/60">
          <path d="M16 3 8 21" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
        <TenantSwitcher tenants={tenants} currentId={tenantId} section={section} />
        <div className="ml-auto">
          <UserMenu user={user} />
        </div>
      </div>
      <NavTabs
        label="Main"
        tabs={links}
        isActive={(href) => pathname === href || pathname.startsWith(`${href}/`)}
        variant="main"
        className="mx-auto max-w-6xl px-2 sm:px-4"
      />
    </header>
  );
}
