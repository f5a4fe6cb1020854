import type { Command } from "commander";
import type { Env } from "../env";
import { CliError, usageError } from "../errors";
import { createOutput } from "../output";
import { collect, parseEnv, parseIntFlag, parsePorts, parseSecrets } from "../parse";
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

  deployments
    .command("update")
    .description("change what runs (a rolling update: one instance at a time, rolled back if it fails)")
    .argument("<name-or-id>")
    .option("--image <ref>", "new image reference")
    .option("--env <K=V>", "replace the environment (repeatable)", collect, undefined)
    .option(
      "--secret <NAME=VALUE|NAME>",
      "set or replace one secret (NAME alone: the value of $NAME here); the others keep theirs; repeatable",
      collect,
    )
    .option("--remove-secret <NAME>", "remove one secret (repeatable)", collect)
    .option("--port <port>", "replace the published ports (repeatable)", collect, undefined)
    .option("--cpu <millis>", "CPU per instance in millicpu")
    .option("--memory <mib>", "memory per instance in MiB")
    .option("--json", "print JSON")
    .action(
      async (
        nameOrId: string,
        f: {
          image?: string;
          env?: string[];
          secret?: string[];
          removeSecret?: string[];
          port?: string[];
          cpu?: string;
          memory?: string;
          json?: boolean;
        },
      ) => {
        const out = createOutput(Boolean(f.json));
        const newEnv = f.env ? parseEnv(f.env) : undefined;
        const change = {
          image: f.image,
          env: newEnv,
          secrets: secretChange(f.secret ?? [], f.removeSecret ?? [], newEnv, env.variable),
          ports: f.port ? parsePorts(f.port) : undefined,
          cpuMillis: parseIntFlag("--cpu", f.cpu, 10, 64_000),
          memoryMiB: parseIntFlag("--memory", f.memory, 16, 262_144),
        };
        if (Object.values(change).every((v) => v === undefined)) {
          throw new CliError(
            "update: name at least one of --image, --env, --secret, --remove-secret, --port, --cpu, --memory",
            2,
          );
        }
        const s = await openSession(env);
        const d = await findDeployment(s, nameOrId);
        const res = await s.client.request<Deployment>(
          "PATCH",
          tenantPath(s, `/deployments/${d.id}`),
          change,
        );
        if (out.json) return out.data(res);
        out.line(
          `Rolling ${res.name} to generation ${res.generation}; follow it with: berth deployments get ${res.name} --watch`,
        );
      },
    );

  deployments
    .command("rollback")
    .description("go back to an earlier generation (default: the previous one)")
    .argument("<name-or-id>")
    .option("--to-generation <n>", "the generation to go back to")
    .option("--json", "print JSON")
    .action(async (nameOrId: string, f: { toGeneration?: string; json?: boolean }) => {
      const out = createOutput(Boolean(f.json));
      const toGeneration = parseIntFlag("--to-generation", f.toGeneration, 1, 1_000_000);
      const s = await openSession(env);
      const d = await findDeployment(s, nameOrId);
      const res = await s.client.request<Deployment>("POST", tenantPath(s, `/deployments/${d.id}/rollback`), {
        toGeneration,
      });
      if (out.json) return out.data(res);
      out.line(`Rolling ${res.name} back: generation ${res.generation} runs ${res.image}.`);
    });
}

/** `--secret` sets (or replaces) a value, `--remove-secret` removes a name: the API's null. */
function secretChange(
  set: string[],
  remove: string[],
  env: Record<string, string> | undefined,
  variable: (name: string) => string | undefined,
) {
  if (set.length === 0 && remove.length === 0) return undefined;
  const change: Record<string, string | null> = parseSecrets(set, env, variable);
  for (const name of remove) {
    if (Object.hasOwn(change, name)) throw usageError(`--remove-secret: ${name} is also given with --secret`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === "__proto__")
      throw usageError(`--remove-secret: "${name}" is not a valid variable name`);
    change[name] = null;
  }
  return change;
}
