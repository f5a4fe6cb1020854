"use client";
import type { TenantDto } from "@berth/contracts";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId } from "react";

const NEW = "__new";

/** Switches tenant and stays on the same section (deployments, members, tokens). */
export function TenantSwitcher({
  tenants,
  currentId,
  section,
}: {
  tenants: TenantDto[];
  currentId: string | undefined;
  section: string;
}) {
  const router = useRouter();
  const id = useId();
  if (tenants.length === 0) {
    return (
      <Link href="/tenants/new" className="text-sm font-medium text-link underline underline-offset-4">
        Create a tenant
      </Link>
    );
  }
  return (
    <div className="min-w-0">
      <label htmlFor={id} className="sr-only">
        Tenant
      </label>
      <select
        id={id}
        value={currentId ?? ""}
        onChange={(e) => {
          const v = e.target.value;
          router.push(v === NEW ? "/tenants/new" : `/t/${v}/${section}`);
        }}
        className="h-8 max-w-[11rem] truncate rounded-md border border-border bg-card pl-2 pr-7 text-sm font-medium text-foreground hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring sm:max-w-xs"
      >
        {currentId ? null : (
          <option value="" disabled>
            Select a tenant
          </option>
        )}
        {tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
        <option value={NEW}>+ New tenant…</option>
      </select>
    </div>
  );
}
