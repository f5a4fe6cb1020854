// The agent against the real control plane: REST API (handleRest over node:http) on a real
// Postgres, the real scheduler (placementModule), Redis with the host's own ACL user.
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  signUp,
  type TestUser,
  testRedisUrl,
} from "@berth/api/testing";
import { placementModule } from "@berth/worker/src/modules/placement";
import { createQueues, type Queues } from "@berth/worker/src/queues";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent";
import { SimDriver } from "./drivers/sim";
import { enroll } from "./enroll";
import type { HostInfo } from "./host-info";
import { silentLog } from "./log";
import { readState } from "./state";
import { serveRest, waitFor } from "./testing";

const bin = fileURLToPath(new URL("../bin/berth-agent.mjs", import.meta.url));
const host: HostInfo = {
  capacity: { cpuMillis: 4000, memoryMiB: 8192, maxInstances: 50 },
  capabilities: {
    isolationLevels: ["container", "microvm", "unikernel"],
    accelerator: null,
    guestKernel: null,
    ociRuntime: null,
    cgroup: null,
    sim: true,
  },
};

let h: Harness;
let server: Server;
let base: string;
let dir: string;
let operator: TestUser;
let owner: TestUser;
let tenantId: string;
let queues: Queues;
let scheduler: ReturnType<typeof placementModule>;
const hostIds: string[] = [];

const joinToken = async () => (await callerFor(h, operator.actor).hosts.createJoinToken()).token;
const instancesOf = (deploymentId: string) =>
  h.deps.db.instance.findMany({ where: { deploymentId }, orderBy: { ordinal: "asc" } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-agent-it-"));
  h = await createHarness();
  ({ server, base } = await serveRest(h));
  operator = await signUp(h, "Op", { operator: true });
  owner = await signUp(h, "Owner");
  tenantId = (await makeTenant(h, owner, "agent")).id;
  queues = createQueues(testRedisUrl, h.queuePrefix);
  scheduler = placementModule({ db: h.deps.db, redisUrl: testRedisUrl, prefix: h.queuePrefix, queues });
  await scheduler.start();
});
afterAll(async () => {
  await scheduler?.stop();
  await queues?.close();
  for (const id of hostIds) await h.deps.redis.call("ACL", "DELUSER", `berth-host-${id}`).catch(() => {});
  await new Promise((r) => server?.close(r));
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("sim agent in this process", () => {
  let agent: Agent;
  let driver: SimDriver;
  let hostId: string;

  beforeAll(async () => {
    const state = await enroll({
      server: base,
      joinToken: await joinToken(),
      name: "sim-a",
      address: "127.0.0.1",
      labels: { sim: "true" },
      host,
      sim: true,
    });
    hostId = state.hostId;
    hostIds.push(hostId);
    expect(state.redis.username).toBe(`berth-host-${hostId}`);
    driver = new SimDriver({ hostId, startDelayMs: 20 });
    agent = new Agent({ state, driver, log: silentLog, host, heartbeatIntervalMs: 200 });
    await agent.start();
  });
  afterAll(() => agent?.stop());

  it("is ready after its first heartbeat", async () => {
    const row = await h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(row.status).toBe("ready");
    expect(row.labels).toEqual({ sim: "true" });
  });

  it("runs what the scheduler places, with sim:// endpoints, then stops it", async () => {
    const tenant = callerFor(h, owner.actor);
    const d = await tenant.deployments.create({
      tenantId,
      name: "web",
      image: "busybox",
      replicas: 2,
      hostSelector: { sim: "true" },
    });
    const running = await waitFor(
      async () => {
        const rows = await instancesOf(d.id);
        return rows.length === 2 && rows.every((r) => r.state === "running") && rows;
      },
      { what: "both instances running" },
    );
    for (const r of running) {
      expect(r.hostId).toBe(hostId);
      expect(r.endpoints).toEqual([`sim://${hostId}/${r.id}`]);
    }
    expect((await driver.list()).map((s) => s.state)).toEqual(["running", "running"]);

    await tenant.deployments.stop({ tenantId, deploymentId: d.id });
    await waitFor(async () => (await instancesOf(d.id)).every((r) => r.state === "stopped"), {
      what: "instances stopped",
    });
    expect(await driver.list()).toEqual([]);
  });

  it("stops, through the heartbeat's stop list, what a deleted deployment left running", async () => {
    const tenant = callerFor(h, owner.actor);
    const d = await tenant.deployments.create({
      tenantId,
      name: "gone",
      image: "busybox",
      replicas: 1,
      hostSelector: { sim: "true" },
    });
    const row = await waitFor(
      async () => {
        const [first] = await instancesOf(d.id);
        return first?.state === "running" && first;
      },
      { what: "instance running" },
    );
    expect(await driver.inspect(row.id)).toMatchObject({ state: "running" });
    await tenant.deployments.delete({ tenantId, deploymentId: d.id });
    await waitFor(async () => (await driver.inspect(row.id)) === null, {
      what: "sim instance stopped",
    });
  });

  it("fails an invalid job once, without retrying it", async () => {
    // From the start of the queue's event stream: a listener that began at "now" may issue its
    // first read only after the job went active (and so miss it) on a loaded machine. This job's id
    // comes from the queue's counter, which no other job shares, so the filter by id below sees
    // only its own events.
    const events = new QueueEvents(`host-${hostId}`, {
      connection: { url: testRedisUrl },
      prefix: h.queuePrefix,
      lastEventId: "0-0",
    });
    try {
      await events.waitUntilReady();
      // failed host jobs are removed at once (so ids can be reused), so count the attempts as
      // they happen: a retry would make the job active a second time
      const actives: string[] = [];
      events.on("active", ({ jobId }) => actives.push(jobId));
      const job = await queues
        .host(hostId)
        .add("start", { kind: "start", instanceId: "not-a-uuid", generation: 1 });
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid host job .*instanceId/);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(actives.filter((id) => id === job.id)).toHaveLength(1);
      expect(await queues.host(hostId).getJob(job.id ?? "")).toBeUndefined();
    } finally {
      await events.close();
    }
  });
});

describe("a refused identity", () => {
  it("fails start() fast on a bad Redis password or an unknown host token", async () => {
    const state = await enroll({
      server: base,
      joinToken: await joinToken(),
      name: "sim-bad",
      address: "127.0.0.1",
      labels: {},
      host,
      sim: true,
    });
    hostIds.push(state.hostId);
    const driver = new SimDriver({ hostId: state.hostId });
    const badRedis = new Agent({
      state: { ...state, redis: { ...state.redis, password: "wrong" } },
      driver,
      log: silentLog,
      host,
    });
    const t0 = Date.now();
    await expect(badRedis.start()).rejects.toThrow(/redis refused this host's credentials .*WRONGPASS/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await badRedis.stop();
    const badToken = new Agent({
      state: { ...state, hostToken: "bhost_nope" },
      driver,
      log: silentLog,
      host,
    });
    await expect(badToken.start()).rejects.toMatchObject({ status: 401 });
    await badToken.stop();
  });
});

function agentCli(args: string[], env: Record<string, string>) {
  return execFile(process.execPath, [bin, ...args], {
    env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", ...env },
    timeout: 60_000,
  });
}

describe("berth-agent binary", () => {
  it("joins (state file 0600), runs until SIGTERM, and exits 0", async () => {
    const stateFile = join(dir, "lib", "agent.json");
    const joined = agentCli(
      [
        "join",
        "--server",
        base,
        "--token",
        await joinToken(),
        "--name",
        "cli-sim",
        "--sim",
        "--state",
        stateFile,
      ],
      {},
    );
    let out = "";
    joined.stdout?.on("data", (c) => (out += c));
    const joinCode = await new Promise((r) => joined.on("exit", r));
    expect(joinCode).toBe(0);
    expect(out).toMatch(/joined as host .* identity saved in/);
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    const state = await readState(stateFile);
    hostIds.push(state.hostId);

    const running = agentCli(["run", "--sim", "--sim-delay-ms", "0"], { BERTH_AGENT_STATE: stateFile });
    let log = "";
    running.stderr?.on("data", (c) => (log += c));
    await waitFor(async () => log.includes("agent started"), { what: "agent started", timeoutMs: 30_000 });
    const row = await h.deps.db.host.findUniqueOrThrow({ where: { id: state.hostId } });
    expect(row.status).toBe("ready");
    expect(row.labels).toMatchObject({ sim: "true" });
    const t0 = Date.now();
    running.kill("SIGTERM");
    const code = await new Promise((r) => running.on("exit", r));
    expect(code, log).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(log).toMatch(/SIGTERM: stopping[\s\S]*agent stopped/);
  });
});
