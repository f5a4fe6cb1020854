import { type Client, createClient } from "./client";
import { resolveCredentials } from "./config";
import type { Env } from "./env";
import { CliError } from "./errors";
import type { Me } from "./types";

export type Session = { client: Client; tenantId: string };

/** Tokens act inside exactly one tenant; /me says which one. */
export async function tenantOfToken(client: Client): Promise<Me & { tenantId: string }> {
  const me = await client.request<Me>("GET", "/me");
  if (me.kind !== "token" || !me.tenantId) {
    throw new CliError(
      "these credentials are not an API token of a tenant; create one with `berth tokens create`",
    );
  }
  return { ...me, tenantId: me.tenantId };
}

export async function openSession(env: Env): Promise<Session> {
  const creds = await resolveCredentials(env);
  const client = createClient({ url: creds.url, token: creds.token });
  const tenantId = creds.tenantId ?? (await tenantOfToken(client)).tenantId;
  return { client, tenantId };
}

export const tenantPath = (s: Session, rest = "") => `/tenants/${s.tenantId}${rest}`;
