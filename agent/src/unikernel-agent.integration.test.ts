// The unikernel level end to end: the `berth-agent` binary joined to a real control plane
// (Postgres, Redis, the placement, reconcile and liveness modules), a deployment of
// `berth deploy --isolation unikernel --wait` of hello-unikernel with --env GREETING (the CLI
// refusing a container image there first, and an env the kernel command line cannot carry),
// running with its endpoint in Postgres, answering HTTP with the greeting, its console in the
// deployment's logs; the agent killed with -9 and restarted
// adopts it without a restart of QEMU; stopping the deployment stops it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { callerFor } from "@berth/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireNetAndImageTools } from "./drivers/container/probekit";
import { isAlive } from "./drivers/microvm/jail";
import type { VmRecord } from "./drivers/microvm/records";
import { HELLO_UNIKERNEL, requireUnikernelImages } from "./images/artifact-testing";
import { HELLO } from "./images/testing";
import {
  allServing,
  heartbeatAfter,
  joinAndRun,
  RealAgent,
  startControlPlane,
  type TestControlPlane,
} from "./real-agent-kit";
import { waitFor } from "./testing";

let cp: TestControlPlane;
let agent: RealAgent;

beforeAll(async () => {
  requireNetAndImageTools();
  await requireUnikernelImages();
  agent = await RealAgent.create();
  cp = await startControlPlane({ livenessTtlMs: 60_000 });
}, 60_000);

afterAll(async () => {
  await agent?.cleanup();
  await cp?.stop();
}, 90_000);

const cli = new URL("../../packages/cli/bin/berth.mjs", import.meta.url).pathname;

/** The `berth` CLI as a user runs it, with BERTH_URL and BERTH_TOKEN and nothing else of ours. */
function berth(
  url: string,
  token: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: "test",
    PATH: process.env.PATH ?? "",
    HOME: "/nonexistent",
    BERTH_URL: url,
    BERTH_TOKEN: token,
  };
  return new Promise((resolve) =>
    execFile(process.execPath, [cli, ...args], { env, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    ),
  );
}

const recordOf = (id: string) =>
  JSON.parse(readFileSync(join(agent.data, "unikernel/instances", id, "record.json"), "utf8")) as VmRecord;

describe("the real agent at the unikernel level", () => {
  it("deploys hello-unikernel with berth deploy --isolation unikernel, serves it, ships its console, survives kill -9, stops it", async () => {
    const { h } = cp;
    const { owner, tenantId } = await joinAndRun(cp, agent, { level: "unikernel", name: "uk" });
    await h.deps.db.tenant.update({
      where: { id: tenantId },
      data: { allowedIsolation: ["container", "microvm", "unikernel"] },
    });
    const token = (
      await callerFor(h, owner.actor).tokens.create({ tenantId, name: "cli", scopes: ["read", "write"] })
    ).token;
    // The wrong kind first: a container image at the unikernel level, refused with the reason.
    const wrong = await berth(cp.base, token, [
      "deploy",
      HELLO,
      "--isolation",
      "unikernel",
      "--port",
      "8080",
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toMatch(
      /image: .* is an OCI container image, not a unikernel artifact/,
    );
    // An env its kernel command line cannot carry: refused by the API, naming the variable.
    const badEnv = await berth(cp.base, token, [
      ...["deploy", HELLO_UNIKERNEL, "--isolation", "unikernel", "--port", "8080"],
      ...["--env", "GREETING=caf\u00e9"],
    ]);
    expect(badEnv.code).not.toBe(0);
    expect(badEnv.stderr + badEnv.stdout).toMatch(/env\.GREETING: has a non-ASCII character \(U\+00E9\)/);
    const t0 = performance.now();
    const deployed = await berth(cp.base, token, [
      ...["deploy", HELLO_UNIKERNEL, "--isolation", "unikernel", "--port", "8080"],
      ...["--env", "GREETING=hi there"],
      ...["--memory", "32", "--cpu", "250", "--wait", "--timeout", "60"],
    ]);
    expect(deployed.code, deployed.stderr).toBe(0);
    console.log(`berth deploy --isolation unikernel --wait:\n${deployed.stdout}`);
    const created = await h.deps.db.deployment.findFirstOrThrow({ where: { tenantId } });
    expect(created.isolation).toBe("unikernel");
    console.log(
      `berth deploy (CLI start, its --wait polling included) to running: ${Math.round(performance.now() - t0)} ms`,
    );
    const [row] = await h.deps.db.instance.findMany({ where: { deploymentId: created.id } });
    const id = row?.id as string;
    const endpoint = ((row?.endpoints ?? []) as string[])[0] as string;
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    await allServing([endpoint]);
    console.log(`berth deploy to first HTTP 200: ${Math.round(performance.now() - t0)} ms`);
    // The deployment's env, through the API, the agent and the kernel command line, to the app.
    const page = await (await fetch(`http://${endpoint}/`, { signal: AbortSignal.timeout(5000) })).text();
    expect(page).toContain("<p>greeting: hi there</p>");

    const c = callerFor(h, owner.actor);
    await waitFor(
      async () => {
        const { lines } = await c.deployments.logs({ tenantId, deploymentId: created.id, tail: 50 });
        return lines.some((l) => /unikernel: \S+ listening on/.test(l.line));
      },
      { what: "the unikernel's console in the deployment's logs", timeoutMs: 30_000 },
    );

    const { pid, startTime } = recordOf(id);
    agent.child?.kill("SIGKILL");
    expect(await agent.exited()).toBe("SIGKILL");
    await allServing([endpoint]);
    const restartedAt = new Date();
    agent.run("second run");
    const first = await heartbeatAfter(cp, agent, restartedAt, "a heartbeat");
    await heartbeatAfter(cp, agent, first, "a second heartbeat");
    const after = await h.deps.db.instance.findUniqueOrThrow({ where: { id } });
    expect(after).toMatchObject({ state: "running", generation: 1 });
    expect(recordOf(id).pid).toBe(pid);
    expect(await isAlive(pid as number, startTime as string)).toBe(true);
    expect(agent.since("second run")).not.toMatch(/unikernel started|stopping an unwanted instance/);
    await allServing([endpoint]);

    await c.deployments.stop({ tenantId, deploymentId: created.id });
    await agent.withLog(
      waitFor(
        async () => (await h.deps.db.instance.findUniqueOrThrow({ where: { id } })).state === "stopped",
        {
          what: "the unikernel stopped by the restarted agent",
          timeoutMs: 60_000,
        },
      ),
    );
    expect(await isAlive(pid as number, startTime as string)).toBe(false);
    expect(recordOf(id).ended?.state).toBe("stopped");
  }, 240_000);
});
