import type { Command } from "commander";
import type { Env } from "../env";
import { CliError } from "../errors";
import { createOutput, when } from "../output";
import { openSession, tenantPath } from "../session";

type Credential = { registry: string; username: string; createdAt: string; updatedAt: string };

/** The password comes on stdin (never argv, where `ps` and shell history would see it). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError('--password-stdin: pipe the password in, e.g. `printf %s "$PW" | berth …`', 2);
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const password = text.replace(/\r?\n$/, "");
  if (!password) throw new CliError("--password-stdin: stdin was empty", 2);
  return password;
}

export function registerRegistries(program: Command, env: Env) {
  const registries = program
    .command("registries")
    .description("credentials agents pull the tenant's private images with");

  registries
    .command("login")
    .description("store (or replace) credentials for a registry; the password is read from stdin")
    .argument("<registry>", "host[:port], e.g. ghcr.io or 127.0.0.1:5000")
    .requiredOption("--username <name>", "the registry user")
    .requiredOption("--password-stdin", "read the password from stdin")
    .option("--json", "print JSON")
    .action(async (registry: string, opts: { username: string; json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const password = await readPassword();
      const s = await openSession(env);
      const c = await s.client.request<Credential>("POST", tenantPath(s, "/registries"), {
        registry,
        username: opts.username,
        password,
      });
      if (out.json) return out.data(c);
      out.line(
        `Stored credentials for ${c.registry} (user ${c.username}); agents use them to pull its images.`,
      );
    });

  registries
    .command("list")
    .alias("ls")
    .description("registries with stored credentials (never the passwords)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const list = await s.client.request<Credential[]>("GET", tenantPath(s, "/registries"));
      if (out.json) return out.data(list);
      out.table(
        list,
        [
          { header: "registry", value: (c) => c.registry },
          { header: "username", value: (c) => c.username },
          { header: "updated", value: (c) => when(c.updatedAt) },
        ],
        "No registry credentials.",
      );
    });

  registries
    .command("logout")
    .description("forget a registry's credentials")
    .argument("<registry>", "host[:port]")
    .option("--json", "print JSON")
    .action(async (registry: string, opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const c = await s.client.request<Credential>(
        "DELETE",
        tenantPath(s, `/registries/${encodeURIComponent(registry)}`),
      );
      if (out.json) return out.data(c);
      out.line(`Forgot the credentials for ${c.registry}.`);
    });
}
