// Issue 4: "kill -9 of the agent with 20 containers running: they keep serving, and the restarted
// agent adopts them without restarting any". All real: the REST API (handleRest over node:http) on
// a real Postgres, the worker's scheduler, reconciler and liveness monitor in this process, and
// the `berth-agent` binary as a child process with the container level (runc, the image store
// pulling examples/hello from the local registry, tenant networks with nftables).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { callerFor, createHarness, type Harness, makeTenant, signUp, testRedisUrl } from "@berth/api/testing";
import type { InstanceReport } from "@berth/contracts";
import type { Module } from "@berth/worker/src/module";
import { livenessModule } from "@berth/worker/src/modules/liveness";
import { placementModule } from "@berth/worker/src/modules/placement";
import { reconcileModule } from "@berth/worker/src/modules/reconcile";
import { createQueues, type Queues } from "@berth/worker/src/queues";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContainerDriver } from "./drivers/container";
import { httpStatus, processStart, runcList } from "./drivers/container/probekit";
import { requireHostTools } from "./drivers/container/testkit";
import { OciImageStore } from "./images";
import { HELLO, requireExampleImages } from "./images/testing";
import { silentLog } from "./log";
import { createInstanceNetwork } from "./net";
import { readState } from "./state";
import { serveRest, waitFor } from "./testing";

const bin = fileURLToPath(new URL("../bin/berth-agent.mjs", import.meta.url));
// A pool and a port range of this file's own: the developer's agent (10.88.0.0/16, 20000-29999)
// and the other tests may be running on this host at the same time.
const subnet = `10.${200 + randomInt(25)}.0.0/16`;
const portMin = 16000 + randomInt(40) * 50;
const portRange = { min: portMin, max: portMin + 49 };
const deployments = 2;
const replicas = 10;
const total = deployments * replicas;

let h: Harness;
let server: Server;
let base = "";
let dir = "";
let data = "";
let queues: Queues;
const modules: Module[] = [];
let hostId = "";
let agent: ChildProcess | undefined;
/** Everything the agent processes wrote, each run after a marker line. */
let agentLog = "";
/** The body of every heartbeat the control plane received, with when it arrived. */
const heartbeats: { at: Date; instances: InstanceReport[] }[] = [];

const runcRoot = () => join(data, "container/runc");
const agentEnv = () => ({
  NODE_ENV: "test" as const,
  PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
  BERTH_AGENT_STATE: join(dir, "agent.json"),
  BERTH_AGENT_DATA: data,
  BERTH_AGENT_ADDRESS: "127.0.0.1",
  BERTH_AGENT_SUBNET: subnet,
  BERTH_AGENT_PORTS: `${portRange.min}-${portRange.max}`,
});

function startAgent(run: string): ChildProcess {
  agentLog += `--- ${run}\n`;
  const child = spawn(process.execPath, [bin, "run"], { env: agentEnv(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (c) => (agentLog += c));
  child.stderr?.on("data", (c) => (agentLog += c));
  return child;
}
const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((r) =>
    child.exitCode !== null || child.signalCode !== null
      ? r(child.signalCode ?? child.exitCode)
      : child.once("exit", (code, signal) => r(signal ?? code)),
  );
/** A wait that fails with the agent's recent log lines, where the reason usually is. */
async function withLog<T>(wait: Promise<T>, more = () => ""): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    const log = agentLog.slice(-6000);
    throw new Error(`${(err as Error).message}${more()}\nthe agent's log (end):\n${log}`);
  }
}
const sinceLast = (marker: string) => agentLog.slice(agentLog.lastIndexOf(`--- ${marker}`));

beforeAll(async () => {
  requireHostTools();
  await requireExampleImages();
  dir = await mkdtemp(join(tmpdir(), "berth-kill9-"));
  // runc mounts each rootfs from inside a user namespace: the parents must be searchable by all.
  await chmod(dir, 0o711);
  data = join(dir, "data");
  h = await createHarness();
  ({ server, base } = await serveRest(h, {
    onRequest: (r) => {
      if (r.method === "POST" && r.path === "/api/v1/agent/heartbeat")
        heartbeats.push({ at: new Date(), instances: JSON.parse(String(r.body)).instances });
    },
  }));
  queues = createQueues(testRedisUrl, h.queuePrefix);
  const db = h.deps.db;
  modules.push(
    placementModule({ db, redisUrl: testRedisUrl, prefix: h.queuePrefix, queues }),
    reconcileModule({ db, queues, intervalMs: 1000 }),
    // Longer than any restart here: a host that stays silent past it is re-placed, which is
    // another behaviour (apps/worker's tests), not this one.
    livenessModule({ db, queues, ttlMs: 60_000 }),
  );
  for (const m of modules) await m.start();
}, 60_000);

afterAll(async () => {
  // The agent first (SIGTERM leaves containers running, by design), then its containers and
  // networks through a driver on the same data directory, then the control plane.
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    agent.kill("SIGTERM");
    const t = setTimeout(() => agent?.kill("SIGKILL"), 15_000);
    await exited(agent);
    clearTimeout(t);
  }
  if (data) {
    const network = createInstanceNetwork({ dataDir: join(data, "net"), subnet, portRange });
    const driver = createContainerDriver({
      dataDir: join(data, "container"),
      images: new OciImageStore({ dataDir: join(data, "images") }),
      network,
      log: silentLog,
    });
    for (const s of await driver.list()) await driver.stop(s.instanceId, 0).catch(() => {});
    for (const id of await network.list().catch(() => [])) await network.detach(id).catch(() => {});
  }
  for (const m of [...modules].reverse()) await m.stop().catch(() => {});
  await queues?.close();
  if (hostId) await h.deps.redis.call("ACL", "DELUSER", `berth-host-${hostId}`).catch(() => {});
  if (server) await new Promise((r) => server.close(r));
  await h?.close();
  const mounted = dir !== "" && readFileSync("/proc/self/mountinfo", "utf8").includes(dir);
  if (dir && !mounted) await rm(dir, { recursive: true, force: true });
}, 90_000);

type Seen = { endpoint: string; pid: number; started: string };

/** Per instance: its endpoint in Postgres, its container's pid and that process's start time. */
async function observe(ids: string[]): Promise<Map<string, Seen>> {
  const rows = await h.deps.db.instance.findMany({ where: { id: { in: ids } } });
  const containers = new Map((await runcList(runcRoot())).map((c) => [c.id, c]));
  return new Map(
    rows.map((r) => {
      const pid = containers.get(r.id)?.pid ?? 0;
      const endpoints = r.endpoints as string[];
      return [r.id, { endpoint: endpoints[0] ?? "", pid, started: pid ? processStart(pid) : "" }];
    }),
  );
}

/** Every endpoint answers 200 (each hello server takes one request at a time; these are parallel). */
async function allServing(seen: Map<string, Seen>): Promise<void> {
  const statuses = await Promise.all(
    [...seen.values()].map((s) => httpStatus(`http://${s.endpoint}/`).catch((e: Error) => e.message)),
  );
  expect(statuses, "HTTP status of each endpoint").toEqual(statuses.map(() => 200));
}

describe("the real agent killed with -9", () => {
  it("leaves its 20 containers serving, and adopts them all after a restart without restarting any", async () => {
    const operator = await signUp(h, "Op", { operator: true });
    const owner = await signUp(h, "Owner");
    const tenantId = (await makeTenant(h, owner, "kill9")).id;
    const { token } = await callerFor(h, operator.actor).hosts.createJoinToken();
    const name = `kill9-${randomBytes(3).toString("hex")}`;
    const join_ = ["join", "--server", base, "--token", token, "--name", name, "--address", "127.0.0.1"];
    await promisify(execFile)(process.execPath, [bin, ...join_], { env: agentEnv(), timeout: 60_000 });
    hostId = (await readState(agentEnv().BERTH_AGENT_STATE)).hostId;
    const host = await h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(host.isolationLevels, "the agent offers the container level").toContain("container");

    agent = startAgent("first run");
    await withLog(
      waitFor(async () => sinceLast("first run").includes("agent started"), {
        what: "the agent started",
        timeoutMs: 60_000,
      }),
    );
    const tenant = callerFor(h, owner.actor);
    const ids: string[] = [];
    const deploymentIds: string[] = [];
    const t0 = performance.now();
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
      deploymentIds.push(created.id);
      ids.push(
        ...(await h.deps.db.instance.findMany({ where: { deploymentId: created.id } })).map((r) => r.id),
      );
    }
    expect(ids).toHaveLength(total);
    const instances = () => h.deps.db.instance.findMany({ where: { deployment: { tenantId } } });
    let states: string[] = [];
    await withLog(
      waitFor(
        async () => {
          states = (await instances()).map((r) => `${r.state}${r.reason ? ` (${r.reason})` : ""}`);
          return states.length === total && states.every((st) => st === "running");
        },
        { what: `${total} instances running`, timeoutMs: 120_000 },
      ),
      () => `; states: ${states.join(", ")}`,
    );
    console.log(`${total} containers running in ${Math.round(performance.now() - t0)} ms`);

    const before = await observe(ids);
    for (const [id, s] of before) {
      expect(s.endpoint, id).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.pid, `${id} in runc list`).toBeGreaterThan(0);
    }
    expect(new Set([...before.values()].map((s) => s.endpoint)).size).toBe(total);
    expect((await runcList(runcRoot())).map((c) => c.id).sort()).toEqual([...ids].sort());
    await allServing(before);

    agent.kill("SIGKILL");
    expect(await exited(agent)).toBe("SIGKILL");
    const tDown = performance.now();
    // With no agent: runc still shows each container with its pid, and each endpoint answers.
    await allServing(before);
    expect(await observe(ids)).toEqual(before);
    await allServing(before);

    const restartedAt = new Date();
    agent = startAgent("second run");
    const heartbeatAfter = (after: Date, what: string) =>
      withLog(
        waitFor(
          async () => {
            const r = await h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } });
            return r.lastHeartbeatAt && r.lastHeartbeatAt > after && r.lastHeartbeatAt;
          },
          { what: `${what} of the restarted agent`, timeoutMs: 60_000 },
        ),
      );
    // Its first heartbeat reports what it found; the next comes after it had time to act on it.
    const first = await heartbeatAfter(restartedAt, "a heartbeat");
    console.log(`agent down, restarted and heard from in ${Math.round(performance.now() - tDown)} ms`);
    await heartbeatAfter(first, "a second heartbeat");

    // What the restarted agent found and reported in its first heartbeat: all 20, as they were.
    const reported = heartbeats.find((hb) => hb.at >= restartedAt)?.instances ?? [];
    expect(
      reported
        .map(({ instanceId, generation, state, endpoints, reason }) => ({
          instanceId,
          generation,
          state,
          endpoints,
          reason,
        }))
        .sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
      "the restarted agent's first heartbeat",
    ).toEqual(
      [...ids].sort().map((id) => ({
        instanceId: id,
        generation: 1,
        state: "running",
        endpoints: [before.get(id)?.endpoint],
        reason: undefined,
      })),
    );
    const rows = await instances();
    expect(rows, "no instance added or replaced").toHaveLength(total);
    for (const r of rows) {
      expect(r, r.id).toMatchObject({ state: "running", generation: 1, hostId });
      expect(r.endpoints, r.id).toEqual([before.get(r.id)?.endpoint]);
    }
    expect(await observe(ids), "same container, same pid, same process").toEqual(before);
    const containers = await runcList(runcRoot());
    expect(containers, "runc runs exactly the 20, none twice").toHaveLength(total);
    expect(containers.every((c) => c.status === "running")).toBe(true);
    expect(readdirSync(join(data, "container/instances")).sort()).toEqual([...ids].sort());
    await allServing(before);
    // The restarted agent attached no network (each start logs "net attached"), stopped nothing,
    // and no job of its failed.
    const log = sinceLast("second run");
    expect(log).toContain("agent started");
    expect(log).not.toMatch(/net attached|stopping an unwanted instance|^\S+ error /m);
    expect((await h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } })).status).toBe("ready");

    // And it is in charge of them: stopping one deployment stops its 10 adopted containers, the
    // other 10 run on untouched.
    await tenant.deployments.stop({ tenantId, deploymentId: deploymentIds[0] as string });
    const stoppedIds = new Set(rows.filter((r) => r.deploymentId === deploymentIds[0]).map((r) => r.id));
    await withLog(
      waitFor(
        async () => {
          const ended = await h.deps.db.instance.findMany({ where: { id: { in: [...stoppedIds] } } });
          const left = await runcList(runcRoot());
          return ended.every((r) => r.state === "stopped") && left.every((c) => !stoppedIds.has(c.id));
        },
        { what: "the first deployment's containers stopped by the restarted agent", timeoutMs: 60_000 },
      ),
    );
    const rest = ids.filter((id) => !stoppedIds.has(id));
    expect(rest).toHaveLength(total - replicas);
    expect((await runcList(runcRoot())).map((c) => c.id).sort()).toEqual([...rest].sort());
    expect(await observe(rest)).toEqual(new Map(rest.map((id) => [id, before.get(id)])));
  }, 240_000);
});
