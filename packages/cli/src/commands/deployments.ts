import type { Command } from "commander";
import type { Env } from "../env";
import { CliError } from "../errors";
import { createOutput } from "../output";
import { parseIntFlag } from "../parse";
import { deploymentColumns, instanceColumns, renderDeployment } from "../render";
import { findDeployment } from "../resolve";
import { openSession, tenantPath } from "../session";
import { readEvents } from "../sse";
import type { Deployment } from "../types";

export function registerDeployments(program: Command, env: Env) {
  const deployments = program.command("deployments").description("the tenant's deployments");

  deployments
    .command("list")
    .alias("ls")
    .description("deployments with the state of their instances")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const list = await s.client.request<Deployment[]>("GET", tenantPath(s, "/deployments"));
      if (out.json) return out.data(list);
      out.table(list, deploymentColumns, "No deployments. Create one with: berth deploy IMAGE");
    });

  deployments
    .command("get")
    .description("one deployment and its instances")
    .argument("<name-or-id>")
    .option("--json", "print JSON (with --watch: one JSON document per line)")
    .option("-w, --watch", "keep printing the deployment each time its state changes (Ctrl-C to stop)")
    .action(async (nameOrId: string, opts: { json?: boolean; watch?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const show = (d: Deployment) => {
        if (out.json) return opts.watch ? out.line(JSON.stringify(d)) : out.data(d);
        out.line(renderDeployment(d));
        out.line("");
        out.table(d.instances, instanceColumns, "No instances (replicas is 0).");
      };
      const d = await findDeployment(s, nameOrId);
      if (!opts.watch) return show(d);
      // server-sent events: the current state first, then every change
      const res = await s.client.raw(tenantPath(s, `/deployments/${d.id}/events`), {
        accept: "text/event-stream",
        signal: new AbortController().signal,
      });
      for await (const ev of readEvents(res.body as ReadableStream<Uint8Array>)) {
        if (ev.event === "end")
          throw new CliError(`watch ended: ${(JSON.parse(ev.data) as { message?: string }).message}`);
        if (!out.json) out.line(`--- ${new Date().toISOString()}`);
        show(JSON.parse(ev.data) as Deployment);
      }
    });

  deployments
    .command("delete")
    .alias("rm")
    .description("delete a deployment and its instances")
    .argument("<name-or-id>")
    .option("--json", "print JSON")
    .action(async (nameOrId: string, opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const s = await openSession(env);
      const d = await findDeployment(s, nameOrId);
      const deleted = await s.client.request<Deployment>("DELETE", tenantPath(s, `/deployments/${d.id}`));
      if (out.json) return out.data(deleted);
      out.line(`Deleted deployment ${deleted.name} (${deleted.id}).`);
    });

  deployments
    .command("scale")
    .description("change the number of replicas")
    .argument("<name-or-id>")
    .argument("<replicas>")
    .option("--json", "print JSON")
    .action(async (nameOrId: string, replicas: string, opts: { json?: boolean }) => {
      const out = createOutput(Boolean(opts.json));
      const n = parseIntFlag("replicas", replicas, 0, 100);
      const s = await openSession(env);
      const d = await findDeployment(s, nameOrId);
      const scaled = await s.client.request<Deployment>("POST", tenantPath(s, `/deployments/${d.id}/scale`), {
        replicas: n,
      });
      if (out.json) return out.data(scaled);
      out.line(`Scaled ${scaled.name} to ${scaled.replicas} replica(s).`);
    });

  for (const [verb, what] of [
    ["stop", "stop every instance, keep the deployment"],
    ["start", "start a stopped deployment again"],
  ] as const) {
    deployments
      .command(verb)
      .description(what)
      .argument("<name-or-id>")
      .option("--json", "print JSON")
      .action(async (nameOrId: string, opts: { json?: boolean }) => {
        const out = createOutput(Boolean(opts.json));
        const s = await openSession(env);
        const d = await findDeployment(s, nameOrId);
        const res = await s.client.request<Deployment>(
          "POST",
          tenantPath(s, `/deployments/${d.id}/${verb}`),
          {},
        );
        if (out.json) return out.data(res);
        out.line(
          `${verb === "stop" ? "Stopping" : "Starting"} ${res.name}: desired state is now ${res.desiredState}.`,
        );
      });
  }
}
