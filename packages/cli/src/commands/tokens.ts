import type { Command } from "commander";
import type { Env } from "../env";
import { CliError } from "../errors";
import { createOutput, renderFields, when } from "../output";
import { collect, isUuid, parseChoice, parseIntFlag } from "../parse";
import { openSession, type Session, tenantPath } from "../session";
import type { CreatedToken, Token } from "../types";

const scopes = ["read", "write"] as const;

function status(t: Token, now = Date.now()): string {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return "expired";
  return "active";
}

/** `never` stores a token without expiry; otherwise whole days (the API defaults to 90). */
export function parseExpiry(raw: string | undefined): number | null | undefined {
  if (raw === "never") return null;
  return parseIntFlag("--expires-in-days", raw, 1, 3650);
}

async function findToken(s: Session, nameOrId: string): Promise<Token> {
  const all = await s.client.request<Token[]>("GET", tenantPath(s, "/tokens"));
  const byId = isUuid(nameOrId) ? all.find((t) => t.id === nameOrId.toLowerCase()) : undefined;
  if (byId) return byId;
  const byName = all.filter((t) => t.name === nameOrId && !t.revokedAt);
  if (byName.length > 1)
    throw new CliError(`${byName.length} active tokens are named "${nameOrId}"; give the id`);
  const [only] = byName;
  if (!only) throw new CliError(`token "${nameOrId}" not found (berth tokens list shows them)`);
  return only;
}

export function registerTokens(program: Command, env: Env) {
  const tokens = program.command("tokens").description("API tokens of the tenant");

  tokens
    .command("create")
    .description("create an API token (shown once)")
    .requiredOption("--name <name>", "what the token is for, e.g. ci")
    .option("--scope <scope>", "read or write; repeat for both (default: both)", collect)
    .option("--expires-in-days <days>", 'days until it expires, or "never" (default: 90)')
    .option("--json", "print JSON")
    .action(async (opts: { name: string; scope?: string[]; expiresInDays?: string; json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const chosen = opts.scope?.map((v) => parseChoice("--scope", v, scopes) ?? "read");
      const expiresInDays = parseExpiry(opts.expiresInDays);
      const s = await openSession(env);
      const body = { name: opts.name, scopes: chosen && [...new Set(chosen)], expiresInDays };
      const t = await s.client.request<CreatedToken>("POST", tenantPath(s, "/tokens"), body);
      const warning = "This token is shown only once: store it now, it cannot be shown again.";
      if (out.json) {
        out.data(t);
        out.note(`warning: ${warning}`);
        return;
      }
      out.line(
        renderFields([
          ["id", t.id],
          ["name", t.name],
          ["scopes", t.scopes.join(",")],
          ["expires", t.expiresAt ? when(t.expiresAt) : "never"],
          ["token", t.token],
        ]),
      );
      out.line(`\nwarning: ${warning}`);
    });

  tokens
    .command("list")
    .alias("ls")
    .description("API tokens (never their secrets)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const list = await s.client.request<Token[]>("GET", tenantPath(s, "/tokens"));
      if (out.json) return out.data(list);
      out.table(
        list,
        [
          { header: "id", value: (t) => t.id },
          { header: "name", value: (t) => t.name },
          { header: "prefix", value: (t) => t.prefix },
          { header: "scopes", value: (t) => t.scopes.join(",") },
          { header: "status", value: (t) => status(t) },
          { header: "created", value: (t) => when(t.createdAt) },
          { header: "expires", value: (t) => (t.expiresAt ? when(t.expiresAt) : "never") },
          { header: "last used", value: (t) => when(t.lastUsedAt) },
        ],
        "No tokens.",
      );
    });

  tokens
    .command("revoke")
    .description("revoke an API token at once")
    .argument("<id>", "the token's id (or its name, if only one active token has it)")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const target = await findToken(s, id);
      const t = await s.client.request<Token>("DELETE", tenantPath(s, `/tokens/${target.id}`));
      if (out.json) return out.data(t);
      out.line(`Revoked token ${t.name} (${t.id}).`);
    });
}
