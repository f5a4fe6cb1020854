"use client";
import type { Role, TenantDto } from "@berth/contracts";
import { roleAtLeast } from "@berth/core";
import { createContext, type ReactNode, useContext } from "react";

const TenantContext = createContext<TenantDto | null>(null);

export function TenantProvider({ tenant, children }: { tenant: TenantDto; children: ReactNode }) {
  return <TenantContext.Provider value={tenant}>{children}</TenantContext.Provider>;
}

/** The tenant of the current /t/<id> page, with the viewer's role in it. */
export function useTenant(): TenantDto & { can: (min: Role) => boolean } {
  const t = useContext(TenantContext);
  if (!t) throw new Error("useTenant outside a tenant page");
  return { ...t, can: (min) => t.role !== null && roleAtLeast(t.role, min) };
}
