import type { Command } from "commander";
import type { Env } from "../env";
import { fetchLines, fillRoute, findLogsRoute, followLines } from "../logs-source";
import { createOutput } from "../output";
import { findDeployment } from "../resolve";
import { openSession } from "../session";
import type { Deployment } from "../types";

/** Pending and scheduled instances have never started, so they cannot have written anything. */
export const hasRun = (d: Deployment) =>
  d.instances.some((i) => i.state !== "pending" && i.state !== "scheduled");

export function registerLogs(program: Command, env: Env) {
  program
    .command("logs")
    .description("print a deployment's logs")
    .argument("<deployment>", "name or id")
    .option("-f, --follow", "keep printing new lines as they come")
    .option("--json", "print JSON")
    .action(async (nameOrId: string, opts: { follow?: boolean; json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const d = await findDeployment(s, nameOrId);
      const notice = (text: string) =>
        out.json ? out.data({ deployment: d.name, lines: [], notice: text }) : out.line(text);

      if (!hasRun(d)) {
        const follow = opts.follow ? "; following is not possible until an instance runs" : "";
        return notice(`no logs: no instance of ${d.name} has run yet${follow}`);
      }
      const template = await findLogsRoute(s.client);
      const path = template && fillRoute(template, { tenantId: s.tenantId, deploymentId: d.id });
      if (!path) return notice(`no logs: the server at ${s.client.baseUrl} does not serve logs yet`);

      if (opts.follow) {
        await followLines(s.client, path, (line) => (out.json ? out.record({ line }) : out.line(line)));
      } else {
        const lines = await fetchLines(s.client, path);
        if (out.json) out.data({ deployment: d.name, lines });
        else for (const line of lines) out.line(line);
      }
    });
}
