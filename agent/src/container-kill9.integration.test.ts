// Issue 4: "kill -9 of the agent with 20 containers running: they keep serving, and the restarted
// agent adopts them without restarting any". All real: the REST API on a real Postgres, the
// worker's scheduler, reconciler and liveness monitor in this process, and the `berth-agent`
// binary as a child process with the container level (runc, the image store pulling
// examples/hello from the local registry, tenant networks with nftables).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { callerFor } from "@berth/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processStart, requireNetAndImageTools, runcList } from "./drivers/container/probekit";
import { requireHostTools } from "./drivers/container/testkit";
import { HELLO, requireExampleImages } from "./images/testing";
import {
  allServing,
  heartbeatAfter,
  joinAndRun,
  RealAgent,
  restartAndCheckReport,
  startControlPlane,
  type TestControlPlane,
} from "./real-agent-kit";
import { waitFor } from "./testing";

const deployments = 2;
const replicas = 10;
const total = deployments * replicas;

let cp: TestControlPlane;
let agent: RealAgent;

beforeAll(async () => {
  requireHostTools();
  requireNetAndImageTools();
  await requireExampleImages();
  agent = await RealAgent.create();
  // A TTL longer than any restart here: a host silent past it is re-placed, which is another
  // behaviour (apps/worker's tests), not this one.
  cp = await startControlPlane({ livenessTtlMs: 60_000 });
}, 60_000);

afterAll(async () => {
  await agent?.cleanup();
  await cp?.stop();
}, 90_000);

type Seen = { endpoint: string; pid: number; started: string };

const serving = (seen: Map<string, Seen>) => allServing([...seen.values()].map((s) => s.endpoint));

/** Per instance: its endpoint in Postgres, its container's pid and that process's start time. */
async function observe(ids: string[]): Promise<Map<string, Seen>> {
  const rows = await cp.h.deps.db.instance.findMany({ where: { id: { in: ids } } });
  const containers = new Map((await runcList(agent.runcRoot)).map((c) => [c.id, c]));
  return new Map(
    rows.map((r) => {
      const pid = containers.get(r.id)?.pid ?? 0;
      const endpoints = r.endpoints as string[];
      return [r.id, { endpoint: endpoints[0] ?? "", pid, started: pid ? processStart(pid) : "" }];
    }),
  );
}

/** Deploys examples/hello, `deployments` × `replicas`; resolves once all run, with their ids. */
async function deployHello(tenant: ReturnType<typeof callerFor>, tenantId: string) {
  const byDeployment: string[][] = [];
  for (let d = 0; d < deployments; d++) {
    const created = await tenant.deployments.create({
      tenantId,
      name: `hello-${d}`,
      image: HELLO,
      ports: [{ port: 8080, protocol: "tcp" }],
      cpuMillis: 50,
      memoryMiB: 32,
      replicas,
      isolation: "container",
    });
    const rows = await cp.h.deps.db.instance.findMany({ where: { deploymentId: created.id } });
    byDeployment.push(rows.map((r) => r.id));
  }
  let states: string[] = [];
  await agent.withLog(
    waitFor(
      async () => {
        const rows = await cp.h.deps.db.instance.findMany({ where: { deployment: { tenantId } } });
        states = rows.map((r) => `${r.state}${r.reason ? ` (${r.reason})` : ""}`);
        return states.length === total && states.every((st) => st === "running");
      },
      { what: `${total} instances running`, timeoutMs: 120_000 },
    ),
    () => `; states: ${states.join(", ")}`,
  );
  return byDeployment;
}

describe("the real agent killed with -9", () => {
  it("leaves its 20 containers serving, and adopts them all after a restart without restarting any", async () => {
    const { h } = cp;
    const { owner, tenantId, hostId } = await joinAndRun(cp, agent, { level: "container", name: "kill9" });
    const t0 = performance.now();
    const byDeployment = await deployHello(callerFor(h, owner.actor), tenantId);
    console.log(`${total} containers running in ${Math.round(performance.now() - t0)} ms`);
    const ids = byDeployment.flat();
    const before = await observe(ids);
    for (const [id, s] of before) {
      expect(s.endpoint, id).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.pid, `${id} in runc list`).toBeGreaterThan(0);
    }
    expect(new Set([...before.values()].map((s) => s.endpoint)).size).toBe(total);
    expect((await runcList(agent.runcRoot)).map((c) => c.id).sort()).toEqual([...ids].sort());
    await serving(before);

    agent.child?.kill("SIGKILL");
    expect(await agent.exited()).toBe("SIGKILL");
    const tDown = performance.now();
    // With no agent: runc still shows each container with its pid, and each endpoint answers.
    await serving(before);
    expect(await observe(ids)).toEqual(before);
    await serving(before);

    await restartAndCheckReport(cp, agent, { ids, endpointOf: (id) => before.get(id)?.endpoint, tDown });
    const rows = await h.deps.db.instance.findMany({ where: { deployment: { tenantId } } });
    expect(rows, "no instance added or replaced").toHaveLength(total);
    for (const r of rows) {
      expect(r, r.id).toMatchObject({ state: "running", generation: 1, hostId });
      expect(r.endpoints, r.id).toEqual([before.get(r.id)?.endpoint]);
    }
    expect(await observe(ids), "same container, same pid, same process").toEqual(before);
    const containers = await runcList(agent.runcRoot);
    expect(containers, "runc runs exactly the 20, none twice").toHaveLength(total);
    expect(containers.every((c) => c.status === "running")).toBe(true);
    expect(readdirSync(join(agent.data, "container/instances")).sort()).toEqual([...ids].sort());
    await serving(before);
    // The restarted agent attached no network (each start logs "net attached"), stopped nothing,
    // and no job of its failed.
    const log = agent.since("second run");
    expect(log).toContain("agent started");
    expect(log).not.toMatch(/net attached|stopping an unwanted instance|^\S+ error /m);
    expect((await h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } })).status).toBe("ready");

    // And it is in charge of them: stopping one deployment stops its 10 adopted containers, the
    // other 10 run on untouched.
    const [stopped = [], rest = []] = byDeployment;
    const deploymentId = (rows.find((r) => r.id === stopped[0]) as { deploymentId: string }).deploymentId;
    await callerFor(h, owner.actor).deployments.stop({ tenantId, deploymentId });
    await agent.withLog(
      waitFor(
        async () => {
          const ended = await h.deps.db.instance.findMany({ where: { id: { in: stopped } } });
          const left = (await runcList(agent.runcRoot)).map((c) => c.id);
          return ended.every((r) => r.state === "stopped") && left.every((id) => !stopped.includes(id));
        },
        { what: "the first deployment's containers stopped by the restarted agent", timeoutMs: 60_000 },
      ),
    );
    expect((await runcList(agent.runcRoot)).map((c) => c.id).sort()).toEqual([...rest].sort());
    expect(await observe(rest)).toEqual(new Map(rest.map((id) => [id, before.get(id)])));
    // Heartbeats taken while those stopped (runc list can fail meanwhile) left the rest running.
    await heartbeatAfter(cp, agent, new Date(), "a heartbeat after the stop");
    const after = await h.deps.db.instance.findMany({ where: { id: { in: rest } } });
    expect(after.map((r) => `${r.state} ${r.generation}`)).toEqual(rest.map(() => "running 1"));

    // SIGUSR2: the agent's disk sweep, now. The image the other 10 run stays, and they serve on.
    agent.child?.kill("SIGUSR2");
    const sweep = await agent.withLog(
      waitFor(async () => agent.since("second run").match(/^.* disk sweep .*reason=signal .*$/m)?.[0], {
        what: "the disk sweep's log line",
      }),
    );
    expect(sweep).toMatch(
      / info disk sweep module=disk-gc reason=signal images=0 blobs=0 layers=0 vmFiles=0 freedBytes=0 /,
    );
    await serving(new Map(rest.map((id) => [id, before.get(id) as Seen])));
  }, 240_000);
});
