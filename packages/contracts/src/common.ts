import { z } from "zod";

export const isolationLevels = ["container", "microvm", "unikernel"] as const;
export const isolationLevel = z.enum(isolationLevels);
export type IsolationLevel = z.infer<typeof isolationLevel>;

export const roles = ["owner", "admin", "member", "viewer"] as const;
export const role = z.enum(roles);
export type Role = z.infer<typeof role>;

export const tokenScopes = ["read", "write"] as const;
export const tokenScope = z.enum(tokenScopes);
export type TokenScope = z.infer<typeof tokenScope>;

export const instanceStates = [
  "pending",
  "scheduled",
  "starting",
  "running",
  "stopping",
  "stopped",
  "failed",
  "exited",
  "lost",
] as const;
export const instanceState = z.enum(instanceStates);

export const uuid = z.uuid({ error: "must be a UUID" });
export const isoDate = z.iso.datetime();

export const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "must be 1 to 40 lowercase letters, digits or dashes");

/** A DNS label: deployment names become host names and network names later. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be 1 to 63 lowercase letters, digits or dashes");

export const displayName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters");

export const email = z.email({ error: "must be an email address" }).max(254);

export const tenantInput = z.object({ tenantId: uuid });
