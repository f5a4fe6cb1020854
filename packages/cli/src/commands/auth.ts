import type { Command } from "commander";
import { createClient } from "../client";
import { removeConfig, writeConfig } from "../config";
import type { Env } from "../env";
import { usageError } from "../errors";
import { createOutput } from "../output";
import { tenantOfToken } from "../session";
import type { Tenant } from "../types";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

export function registerAuth(program: Command, env: Env) {
  program
    .command("login")
    .description("verify an API token and store it in the config file")
    .requiredOption("--url <url>", "the Berth server, e.g. http://127.0.0.1:3000")
    .requiredOption(
      "--token <token>",
      'an API token ("-" reads it from stdin, keeping it out of shell history)',
    )
    .option("--json", "print JSON")
    .action(async (opts: { url: string; token: string; json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const token = opts.token === "-" ? await readStdin() : opts.token;
      if (!token) throw usageError("--token: empty");
      const client = createClient({ url: opts.url, token });
      const me = await tenantOfToken(client);
      const tenants = await client.request<Tenant[]>("GET", "/tenants");
      const tenant = tenants.find((t) => t.id === me.tenantId);
      const file = await writeConfig(env, { url: client.baseUrl, token, tenantId: me.tenantId });
      if (out.json) {
        out.data({
          url: client.baseUrl,
          tenantId: me.tenantId,
          tenant: tenant?.slug ?? null,
          role: me.role,
          configFile: file,
        });
      } else {
        const which = tenant ? `${tenant.slug} (${tenant.name})` : me.tenantId;
        out.line(`Logged in to ${client.baseUrl}: tenant ${which}, role ${me.role ?? "-"}.`);
        out.line(`Saved to ${file}.`);
      }
      if (env.url || env.token)
        out.note("note: BERTH_URL/BERTH_TOKEN are set and take precedence over this login");
    });

  program
    .command("logout")
    .description("remove the stored credentials")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const { file, existed } = await removeConfig(env);
      if (out.json) out.data({ configFile: file, removed: existed });
      else out.line(existed ? `Logged out: removed ${file}.` : `Not logged in (no ${file}).`);
    });
}
