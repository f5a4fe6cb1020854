"use client";
import Link from "next/link";
import { cn } from "@/lib/cn";

export type NavTab = { href: string; label: string };

/**
 * A row of links that reads as tabs: the current one marked with aria-current="page" and an
 * underline. `main` is the top bar's row; `section` a section's own row under its heading.
 */
export function NavTabs({
  label,
  tabs,
  isActive,
  variant,
  className,
}: {
  label: string;
  tabs: NavTab[];
  isActive: (href: string) => boolean;
  variant: "main" | "section";
  className?: string;
}) {
  return (
    <nav aria-label={label} className={className}>
      <ul className={cn("flex gap-1", variant === "main" && "-mb-px overflow-x-auto")}>
        {tabs.map((t) => {
          const active = isActive(t.href);
          return (
            <li key={t.href}>
              <Link
                href={t.href}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "whitespace-nowrap border-b-2 px-3 text-sm font-medium",
                  variant === "main" ? "block py-2.5 transition-colors" : "-mb-px inline-block py-2",
                  active
                    ? variant === "main"
                      ? "border-foreground text-foreground"
                      : "border-primary text-foreground"
                    : "border-transparent text-muted-foreground hover:text-foreground",
                )}
              >
                {t.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
