// End to end: the real `berth` binary, as a child process, against the real REST API (handleRest
// over node:http) on a real Postgres and Redis. The harness is test-only; the CLI itself speaks
// nothing but HTTP.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { handleNodeRest, instanceSpec, reserve } from "@berth/api";
import { callerFor, createHarness, type Harness, makeTenant, signUp } from "@berth/api/testing";
import { logStreamKey } from "@berth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment, Token } from "./types";

const bin = fileURLToPath(new URL("../bin/berth.mjs", import.meta.url));

let h: Harness;
let server: Server;
let base: string;
let dir: string;
let token: string;
let tenant: { id: string; slug: string };

/** The tiny adapter the web app's route handlers are: node:http → Request → handleRest. */
function serve(harness: Harness): Promise<Server> {
  // streamed, not buffered: `logs -f` is a server-sent event stream that does not end
  const s = createServer((req, res) => void handleNodeRest(harness.deps, req, res));
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

type Run = { code: number; stdout: string; stderr: string };

function berth(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  // Nothing inherited: no BERTH_URL/BERTH_TOKEN from the developer's shell leaks in.
  const childEnv: NodeJS.ProcessEnv = {
    NODE_ENV: "test",
    PATH: process.env.PATH ?? "",
    HOME: dir,
    BERTH_CONFIG: join(dir, "config.json"),
    ...env,
  };
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: childEnv, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

const json = <T>(r: Run): T => {
  expect(r.stderr, r.stderr).not.toMatch(/^error:/m);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-cli-e2e-"));
  h = await createHarness();
  const owner = await signUp(h, "Owner");
  tenant = await makeTenant(h, owner, "cli");
  const created = await callerFor(h, owner.actor).tokens.create({
    tenantId: tenant.id,
    name: "laptop",
    scopes: ["read", "write"],
    expiresInDays: 1,
  });
  token = created.token;
  server = await serve(h);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("berth against the real API", () => {
  it("refuses a bad token at login and stores nothing", async () => {
    const r = await berth(["login", "--url", base, "--token", "berth_not-a-token"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("error: the API token is invalid, expired or revoked");
    await expect(stat(join(dir, "config.json"))).rejects.toThrow(/ENOENT/);
  });

  it("logs in, storing url, token and tenant in a 0600 file", async () => {
    const r = await berth(["login", "--url", `${base}/`, "--token", token]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`tenant ${tenant.slug} (cli), role owner`);
    const file = join(dir, "config.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ url: base, token, tenantId: tenant.id });
  });

  it("lists tenants as a table and as JSON", async () => {
    const [table, asJson] = await Promise.all([berth(["tenants"]), berth(["tenants", "--json"])]);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+SLUG\s+NAME\s+ROLE$/);
    expect(table.stdout).toMatch(new RegExp(`${tenant.id}\\s+${tenant.slug}\\s+cli\\s+owner`));
    expect(json<{ id: string }[]>(asJson).map((t) => t.id)).toEqual([tenant.id]);
  });

  it("creates a token once, lists it and revokes it, after which it no longer works", async () => {
    const created = await berth([
      "tokens",
      "create",
      "--name",
      "ci",
      "--scope",
      "read",
      "--expires-in-days",
      "7",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const secret = /token:\s+(berth_\S+)/.exec(created.stdout)?.[1] ?? "";
    expect(secret).not.toBe("");
    expect(created.stdout).toMatch(/shown only once.*cannot be shown again/);

    const asCi = { BERTH_URL: base, BERTH_TOKEN: secret };
    const [listJson, table, ciWorks] = await Promise.all([
      berth(["tokens", "list", "--json"]),
      berth(["tokens", "list"]),
      berth(["tenants"], asCi),
    ]);
    const list = json<Token[]>(listJson);
    const ci = list.find((t) => t.name === "ci");
    expect(ci?.scopes).toEqual(["read"]);
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(table.stdout).toMatch(/ci\s+berth_\S*\s+read\s+active/);
    expect(ciWorks.code).toBe(0);

    const revoked = await berth(["tokens", "revoke", ci?.id ?? ""]);
    expect(revoked.stdout).toContain(`Revoked token ci (${ci?.id})`);
    const after = await berth(["deployments", "list"], asCi);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^error: the API token is invalid, expired or revoked\n$/);
  });

  let hello: Deployment;

  it("deploys: records the deployment with pending instances", async () => {
    const image = "127.0.0.1:5000/examples/hello:latest";
    hello = json<Deployment>(
      await berth(["deploy", image, "--port", "8080", "--env", "GREETING=hi there", "--json"]),
    );
    expect(hello).toMatchObject({
      name: "hello",
      isolation: "container",
      env: { GREETING: "hi there" },
      ports: [{ port: 8080, protocol: "tcp" }],
    });
    expect(hello.instances.map((i) => i.state)).toEqual(["pending"]);
    const row = await h.deps.db.deployment.findUniqueOrThrow({
      where: { id: hello.id },
      include: { instances: true },
    });
    expect(row.instances.map((i) => i.state)).toEqual(["pending"]);
  });

  it("deploy --wait gives up plainly with exit 3 when no host can run it; bad flags and names are refused", async () => {
    const started = Date.now();
    // The flag checks run while --wait waits out its 5 s.
    const [wait, port, envFlag, dup, usage] = await Promise.all([
      berth(["deploy", "busybox", "--name", "waiter", "--wait", "--timeout", "30"]).then((r) => ({
        ...r,
        ms: Date.now() - started,
      })),
      berth(["deploy", "busybox", "--port", "70000"]),
      berth(["deploy", "busybox", "--env", "NOEQUALS"]),
      berth(["deploy", "127.0.0.1:5000/other/hello:v2"]),
      berth(["deploy"]),
    ]);
    expect(wait.code, wait.stderr).toBe(3);
    expect(wait.stderr).toContain("error: no host can run this deployment yet (its instances stay pending)");
    expect(wait.ms).toBeGreaterThanOrEqual(5000);
    expect(wait.ms).toBeLessThan(25_000); // well before its 30 s timeout

    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^error: --port: "70000" must be a port number from 1 to 65535/);
    expect(envFlag.stderr).toMatch(/^error: --env: "NOEQUALS" must be KEY=VALUE/);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toBe('error: name: a deployment named "hello" already exists');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'image'/);
  });

  it("lists and shows deployments with their instances", async () => {
    const [list, get, byId] = await Promise.all([
      berth(["deployments", "list"]),
      berth(["deployments", "get", "hello"]),
      berth(["deployments", "get", hello.id, "--json"]),
    ]);
    expect(list.stdout).toMatch(
      /hello\s+127\.0\.0\.1:5000\/examples\/hello:latest\s+container\s+1\s+1 pending/,
    );
    expect(list.stdout).toMatch(/waiter\s+busybox/);
    expect(get.stdout).toMatch(/^name:\s+hello$/m);
    expect(get.stdout).toMatch(/^ports:\s+8080\/tcp$/m);
    expect(get.stdout).toMatch(
      /ORDINAL\s+STATE\s+HOST\s+ENDPOINTS\s+ACCEL\s+CPU\s+MEMORY\s+PIDS\s+REASON\n0\s+pending(\s+-){7}$/m,
    );
    expect(json<Deployment>(byId).name).toBe("hello");
    expect(json<Deployment>(byId).instances[0]?.metrics).toBeNull();
  });

  it("says there are no logs while nothing has run; prints them, and follows them, once something has", async () => {
    const [r, f] = await Promise.all([berth(["logs", "hello"]), berth(["logs", "hello", "-f"])]);
    expect(r).toMatchObject({ code: 0, stdout: "no logs: no instance of hello has run yet\n" });
    expect(f.code).toBe(0);
    expect(f.stdout).toContain("following is not possible until an instance runs");

    // what an agent does: the instance ran on a host, which shipped its output to Redis
    const host = await h.deps.db.host.create({
      data: {
        name: "n1",
        address: "127.0.0.1",
        isolationLevels: ["container"],
        cpuMillis: 1000,
        memoryMiB: 1024,
        maxInstances: 4,
      },
    });
    await h.deps.db.instance.updateMany({
      where: { deployment: { name: "waiter" } },
      data: { state: "exited", exitCode: 0, hostId: host.id },
    });
    const [instance] = await h.deps.db.instance.findMany({ where: { deployment: { name: "waiter" } } });
    const key = logStreamKey(h.queuePrefix, host.id, instance?.id ?? "");
    for (const line of ["starting", "waiting…"]) await h.deps.redis.xadd(key, "*", "line", line);

    expect(await berth(["logs", "waiter"])).toMatchObject({ code: 0, stdout: "starting\nwaiting…\n" });
    const asJson = json<{ lines: string[] }>(await berth(["logs", "waiter", "--json"]));
    expect(asJson.lines).toEqual(["starting", "waiting…"]);

    const child = spawn(process.execPath, [bin, "logs", "waiter", "-f"], {
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH ?? "",
        HOME: dir,
        BERTH_CONFIG: join(dir, "config.json"),
      },
    });
    try {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      const seen = async (text: string) => {
        for (const deadline = Date.now() + 10_000; !out.includes(text); ) {
          if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(out)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await seen("waiting…\n");
      await h.deps.redis.xadd(key, "*", "line", "done waiting");
      await seen("done waiting\n");
      expect(out).toBe("starting\nwaiting…\ndone waiting\n");
    } finally {
      child.kill();
    }

    // with two instances, each line says which one wrote it
    const second = await h.deps.db.instance.create({
      data: {
        tenantId: tenant.id,
        deploymentId: instance?.deploymentId ?? "",
        ordinal: 1,
        generation: instance?.generation ?? 1,
        state: "running",
        hostId: host.id,
      },
    });
    await h.deps.redis.xadd(logStreamKey(h.queuePrefix, host.id, second.id), "*", "line", "hello from 1");
    expect((await berth(["logs", "waiter"])).stdout).toBe(
      "#0 | starting\n#0 | waiting…\n#0 | done waiting\n#1 | hello from 1\n",
    );
    const [last, one, bad] = await Promise.all([
      berth(["logs", "waiter", "-n", "2"]),
      berth(["logs", "waiter", "--instance", "#1"]),
      berth(["logs", "waiter", "--instance", "7"]),
    ]);
    expect(last.stdout).toBe("#0 | done waiting\n#1 | hello from 1\n");
    expect(one.stdout).toBe("#1 | hello from 1\n");
    expect([bad.code, bad.stderr]).toEqual([2, "error: --instance: waiter has no instance #7\n"]);
  });

  it("scales, stops and starts a deployment", async () => {
    expect((await berth(["deployments", "scale", "hello", "3"])).stdout).toBe(
      "Scaled hello to 3 replica(s).\n",
    );
    const bad = await berth(["deployments", "scale", "hello", "-1"]);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      expect.stringMatching(/replicas: "-1" must be a whole number/),
    ]);
    const stopped = JSON.parse((await berth(["deployments", "stop", "hello", "--json"])).stdout);
    expect([stopped.desiredState, stopped.instances.length]).toEqual(["stopped", 0]);
    const started = JSON.parse((await berth(["deployments", "start", "hello", "--json"])).stdout);
    expect([started.desiredState, started.instances.length]).toEqual(["running", 3]);
  });

  it("updates as a new generation and rolls back", async () => {
    const up = JSON.parse(
      (await berth(["deployments", "update", "hello", "--image", "busybox:2", "--json"])).stdout,
    );
    expect([up.generation, up.image]).toEqual([2, "busybox:2"]);
    const none = await berth(["deployments", "update", "hello"]);
    expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/name at least one of --image/)]);
    expect((await berth(["deployments", "rollback", "hello"])).stdout).toMatch(
      /generation 3 runs 127\.0\.0\.1:5000\/examples\/hello/,
    );
  });

  it("deploys with --secret, shows names only, and sets and removes secrets by name", async () => {
    const value = `tok-${Date.now().toString(36)}`;
    // what the agent of the instance's host is given: the values, in env
    const agentEnv = async (d: Deployment) => {
      const host = await h.deps.db.host.create({
        data: {
          name: `cli-secrets-${d.generation}`,
          address: "127.0.0.1",
          isolationLevels: ["container"],
          status: "ready",
          cpuMillis: 4000,
          memoryMiB: 4096,
          maxInstances: 10,
        },
      });
      const instance = d.instances.find((i) => i.generation === d.generation) ?? d.instances[0];
      expect(await reserve(h.deps.db, host.id, instance?.id ?? "", 10, 16)).toBe(true);
      return (await instanceSpec(h.deps.db, host.id, instance?.id ?? "", h.deps.credentialKey)).env;
    };
    const created = await berth([
      "deploy",
      "busybox",
      "--name",
      "vault",
      "--env",
      "MODE=prod",
      "--secret",
      `API_TOKEN=${value}`,
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).not.toContain(value);
    expect(json<Deployment>(created).secrets.map((s) => s.name)).toEqual(["API_TOKEN"]);
    const shown = await berth(["deployments", "get", "vault"]);
    expect(shown.stdout).toMatch(/^secrets:\s+API_TOKEN$/m);
    expect(shown.stdout).not.toContain(value);

    // NAME alone: the value comes from the CLI's environment, not its argv
    const up = await berth(
      ["deployments", "update", "vault", "--secret", "DB_PASSWORD", "--remove-secret", "API_TOKEN", "--json"],
      { DB_PASSWORD: `${value}-2` },
    );
    expect(up.stdout).not.toContain(value);
    expect(json<Deployment>(up).secrets.map((s) => s.name)).toEqual(["DB_PASSWORD"]);
    // DB_PASSWORD's value came from the environment, verbatim
    expect(await agentEnv(json<Deployment>(up))).toEqual({ MODE: "prod", DB_PASSWORD: `${value}-2` });
    const [clash, gone, empty] = await Promise.all([
      berth(["deployments", "update", "vault", "--secret", "MODE=x"]),
      berth(["deployments", "update", "vault", "--remove-secret", "API_TOKEN"]),
      berth(["deploy", "busybox", "--name", "empty-secret", "--secret", "TOKEN="]),
    ]);
    expect([clash.code, clash.stderr]).toEqual([1, expect.stringMatching(/^error: secrets\.MODE: /)]);
    expect([gone.code, gone.stderr]).toEqual([1, expect.stringMatching(/^error: secrets\.API_TOKEN: /)]);
    expect([empty.code, empty.stderr]).toEqual([2, "error: --secret: TOKEN has an empty value\n"]);
    expect((await berth(["deployments", "delete", "vault"])).code).toBe(0);
  });

  it("deletes by name; the name is then unknown", async () => {
    expect((await berth(["deployments", "delete", "hello"])).stdout).toMatch(/^Deleted deployment hello \(/);
    const gone = await berth(["deployments", "get", "hello"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: deployment "hello" not found/);
  });

  it("reports an unreachable server in one line, and logs out", async () => {
    const closed = await serve(h);
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const r = await berth(["tenants"], { BERTH_URL: url, BERTH_TOKEN: "x" });
    expect(r).toMatchObject({ code: 1, stderr: `error: cannot reach ${url}: connection refused\n` });
    expect((await berth(["logout"])).stdout).toContain("Logged out");
    const after = await berth(["tenants"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^error: not logged in/);
  });
});

it("stores registry credentials from stdin, lists them without the password, and forgets them", async () => {
  const auth = { BERTH_URL: base, BERTH_TOKEN: token };
  const login = await berth(
    ["registries", "login", "ghcr.io", "--username", "ci", "--password-stdin"],
    auth,
    "s3cret\n",
  );
  expect(login).toMatchObject({
    code: 0,
    stdout: "Stored credentials for ghcr.io (user ci); agents use them to pull its images.\n",
  });
  const list = await berth(["registries", "list"], auth);
  expect(list.stdout).toMatch(/ghcr\.io\s+ci/);
  expect(list.stdout + (await berth(["registries", "list", "--json"], auth)).stdout).not.toContain("s3cret");
  const empty = await berth(
    ["registries", "login", "ghcr.io", "--username", "ci", "--password-stdin"],
    auth,
    "",
  );
  expect(empty).toMatchObject({ code: 2 });
  expect(empty.stderr).toContain("--password-stdin: stdin was empty");
  expect(await berth(["registries", "logout", "ghcr.io"], auth)).toMatchObject({
    code: 0,
    stdout: "Forgot the credentials for ghcr.io.\n",
  });
  expect((await berth(["registries", "list"], auth)).stdout).toContain("No registry credentials.");
});
