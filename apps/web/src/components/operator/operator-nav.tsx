"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "@/lib/cn";

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
    <nav aria-label="Operator" className="-mt-2 mb-6 overflow-x-auto border-b border-border">
      <ul className="flex gap-1">
        {links.map((l) => {
          const active = pathname === l.href;
          return (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "-mb-px inline-block whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium",
                  active
                    ? "border-primary text-foreground"
                    : "border-transparent text-muted-foreground hover:text-foreground",
                )}
              >
                {l.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
