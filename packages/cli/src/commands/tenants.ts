import type { Command } from "commander";
import type { Env } from "../env";
import { createOutput } from "../output";
import { openSession } from "../session";
import type { Tenant } from "../types";

export function registerTenants(program: Command, env: Env) {
  program
    .command("tenants")
    .description("tenants these credentials can act in")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const tenants = await s.client.request<Tenant[]>("GET", "/tenants");
      if (out.json) return out.data(tenants);
      out.table(
        tenants,
        [
          { header: "id", value: (t) => t.id },
          { header: "slug", value: (t) => t.slug },
          { header: "name", value: (t) => t.name },
          { header: "role", value: (t) => t.role },
        ],
        "No tenants.",
      );
    });
}
