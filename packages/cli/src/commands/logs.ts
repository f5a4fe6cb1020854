import type { Command } from "commander";
import type { Env } from "../env";
import { usageError } from "../errors";
import { fetchEntries, fillRoute, findLogsRoute, followLines, type LogEntry } from "../logs-source";
import { createOutput } from "../output";
import { parseIntFlag } from "../parse";
import { findDeployment } from "../resolve";
import { openSession } from "../session";
import type { Deployment } from "../types";

/** Pending and scheduled instances have never started, so they cannot have written anything. */
export const hasRun = (d: Deployment) =>
  d.instances.some((i) => i.state !== "pending" && i.state !== "scheduled");

type Flags = { follow?: boolean; json?: boolean; tail?: string; instance?: string };

export function registerLogs(program: Command, env: Env) {
  program
    .command("logs")
    .description("print a deployment's logs")
    .argument("<deployment>", "name or id")
    .option("-f, --follow", "keep printing new lines as they come")
    .option("-n, --tail <lines>", "the last this many lines (default: 200)")
    .option("--instance <ordinal>", "only this instance's lines (#0, #1… as printed)")
    .option("--json", "print JSON")
    .action(async (nameOrId: string, opts: Flags) => {
      const out = createOutput(Boolean(opts.json));
      const tail = parseIntFlag("--tail", opts.tail, 1, 10_000);
      const ordinal = parseIntFlag("--instance", opts.instance?.replace(/^#/, ""), 0, 99);
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
      const query = new URLSearchParams();
      if (tail !== undefined) query.set("tail", String(tail));
      if (ordinal !== undefined) {
        const instance = d.instances.find((i) => i.ordinal === ordinal);
        if (!instance) throw usageError(`--instance: ${d.name} has no instance #${ordinal}`);
        query.set("instanceId", instance.id);
      }
      const url = query.size ? `${path}?${query}` : path;

      // With more than one instance, each line says which wrote it: "#1 | GET / 200".
      const ordinals = new Map(d.instances.map((i) => [i.id, i.ordinal]));
      const text = (e: LogEntry) => {
        const n = e.instanceId === undefined ? undefined : ordinals.get(e.instanceId);
        return d.instances.length > 1 && n !== undefined ? `#${n} | ${e.line}` : e.line;
      };
      if (opts.follow) {
        await followLines(s.client, url, (line, e) =>
          out.json ? out.record({ line, instanceId: e.instanceId }) : out.line(text(e)),
        );
      } else {
        const entries = await fetchEntries(s.client, url);
        if (out.json) out.data({ deployment: d.name, lines: entries.map((e) => e.line), entries });
        else for (const e of entries) out.line(text(e));
      }
    });
}
