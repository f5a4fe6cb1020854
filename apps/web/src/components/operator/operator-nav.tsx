"use client";
import { usePathname } from "next/navigation";
import { NavTabs } from "../ui/nav-tabs";

const links = [
  { href: "/operator/hosts", label: "Hosts" },
  { href: "/operator/tenants", label: "Tenants" },
  { href: "/operator/audit", label: "Audit log" },
  { href: "/operator/queues", label: "Queues" },
];

/** The operator section's own tabs: the top bar keeps one entry for it. */
export function OperatorNav() {
  const pathname = usePathname();
  return (
    <NavTabs
      label="Operator"
      tabs={links}
      isActive={(href) => pathname === href}
      variant="section"
      className="-mt-2 mb-6 overflow-x-auto border-b border-border"
    />
  );
}
