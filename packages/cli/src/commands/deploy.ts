import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import type { Env } from "../env";
import { CliError } from "../errors";
import { createOutput } from "../output";
import {
  checkName,
  collect,
  deriveName,
  parseChoice,
  parseEnv,
  parseIntFlag,
  parsePorts,
  parseSecrets,
  parseVolumes,
} from "../parse";
import { instanceColumns } from "../render";
import { openSession, type Session, tenantPath } from "../session";
import type { Deployment, Host } from "../types";
import { type HostsView, waitForRunning } from "../wait";

export type DeployFlags = {
  name?: string;
  isolation?: string;
  port?: string[];
  volume?: string[];
  replicas?: string;
  env?: string[];
  secret?: string[];
  cpu?: string;
  memory?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
};

/**
 * The request body, validated before anything is sent so each mistake names its flag;
 * `variable` reads the CLI's environment, for `--secret NAME`.
 */
export function deploymentBody(
  image: string,
  f: DeployFlags,
  variable: (name: string) => string | undefined = () => undefined,
) {
  return {
    name: f.name === undefined ? deriveName(image) : checkName(f.name),
    image,
    isolation: parseChoice("--isolation", f.isolation, ["container", "microvm", "unikernel"] as const),
    ports: parsePorts(f.port ?? []),
    volumes: f.volume ? parseVolumes(f.volume) : undefined,
    env: parseEnv(f.env ?? []),
    secrets: f.secret ? parseSecrets(f.secret, parseEnv(f.env ?? []), variable) : undefined,
    replicas: parseIntFlag("--replicas", f.replicas, 0, 100),
    cpuMillis: parseIntFlag("--cpu", f.cpu, 10, 64_000),
    memoryMiB: parseIntFlag("--memory", f.memory, 16, 262_144),
  };
}

async function fetchHosts(s: Session): Promise<HostsView> {
  try {
    return { kind: "listed", hosts: await s.client.request<Host[]>("GET", "/hosts") };
  } catch (err) {
    if (err instanceof CliError && (err.status === 401 || err.status === 403)) return { kind: "forbidden" };
    throw err;
  }
}

export function registerDeploy(program: Command, env: Env) {
  program
    .command("deploy")
    .description("create a deployment from an OCI image")
    .argument("<image>", "e.g. 127.0.0.1:5000/examples/hello:latest")
    .option("--name <name>", "deployment name (default: from the image, e.g. hello)")
    .option("--isolation <level>", "container, microvm or unikernel (default: the tenant's)")
    .option("--port <port>", "port to expose, e.g. 8080 or 53/udp; repeatable", collect)
    .option(
      "--volume <name:/path>",
      "mount a volume (created on first use), e.g. data:/data[:SIZE_MiB][:ro]; repeatable",
      collect,
    )
    .option("--replicas <n>", "number of instances (default: 1)")
    .option("--env <KEY=VALUE>", "environment variable; repeatable", collect)
    .option(
      "--secret <NAME=VALUE|NAME>",
      "secret environment variable, write-only (NAME alone: the value of $NAME here); repeatable",
      collect,
    )
    .option("--cpu <millis>", "CPU per instance in millicpu (default: 500)")
    .option("--memory <mib>", "memory per instance in MiB (default: 256)")
    .option("--wait", "wait until every instance runs, then print the endpoints")
    .option("--timeout <seconds>", "how long --wait waits (default: 300)")
    .option("--json", "print JSON")
    .action(async (image: string, flags: DeployFlags) => {
      const out = createOutput(Boolean(flags.json));
      const body = deploymentBody(image, flags, env.variable);
      const timeoutSeconds = parseIntFlag("--timeout", flags.timeout, 1, 86_400) ?? 300;
      const s = await openSession(env);
      const created = await s.client.request<Deployment>("POST", tenantPath(s, "/deployments"), body);
      if (!flags.wait) {
        if (out.json) return out.data(created);
        out.line(
          `Created deployment ${created.name} (${created.id}): ${created.replicas} × ${created.isolation}, instances pending.`,
        );
        out.line(`Watch it with: berth deployments get ${created.name}`);
        return;
      }
      out.note(`Created deployment ${created.name} (${created.id}); waiting for its instances to run…`);
      const running = await waitForRunning(
        {
          fetchDeployment: () =>
            s.client.request<Deployment>("GET", tenantPath(s, `/deployments/${created.id}`)),
          fetchHosts: () => fetchHosts(s),
          sleep: (ms) => sleep(ms),
          now: () => Date.now(),
          progress: out.json ? undefined : (text) => out.note(text),
        },
        { timeoutMs: timeoutSeconds * 1000 },
      );
      if (out.json) return out.data(running);
      out.line(`${running.name} is running.`);
      // where each instance runs and answers (and, for virtual machines, on which accelerator)
      out.table(running.instances, instanceColumns.slice(0, 5));
    });
}
