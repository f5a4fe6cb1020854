// End to end: a sim agent enrolled through the real API ships what lands in its instances' log
// files, with its own Redis ACL user, and the tenant reads it through the API, followed live.
import { appendFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleRest } from "@berth/api";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
  testRedisUrl,
} from "@berth/api/testing";
import { placementModule } from "@berth/worker/src/modules/placement";
import { createQueues, type Queues } from "@berth/worker/src/queues";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent } from "../agent";
import { SimDriver } from "../drivers/sim";
import { enroll } from "../enroll";
import type { HostInfo } from "../host-info";
import { silentLog } from "../log";
import { serveRest, waitFor } from "../testing";

const host: HostInfo = {
  capacity: { cpuMillis: 4000, memoryMiB: 8192, maxInstances: 50 },
  capabilities: {
    isolationLevels: ["container"],
    accelerator: null,
    guestKernel: null,
    ociRuntime: null,
    cgroup: null,
    sim: true,
  },
};

let h: Harness;
let server: Server;
let dir: string;
let owner: TestUser;
let tenantId: string;
let queues: Queues;
let scheduler: ReturnType<typeof placementModule>;
let agent: Agent;
let hostId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-agent-logs-"));
  h = await createHarness();
  let base: string;
  ({ server, base } = await serveRest(h));
  const operator = await signUp(h, "Op", { operator: true });
  owner = await signUp(h, "Owner");
  tenantId = (await makeTenant(h, owner, "logs")).id;
  queues = createQueues(testRedisUrl, h.queuePrefix);
  scheduler = placementModule({ db: h.deps.db, redisUrl: testRedisUrl, prefix: h.queuePrefix, queues });
  await scheduler.start();
  const { token } = await callerFor(h, operator.actor).hosts.createJoinToken();
  const state = await enroll({
    server: base,
    joinToken: token,
    name: "logs-a",
    labels: { sim: "true" },
    address: "127.0.0.1",
    host,
    sim: true,
  });
  hostId = state.hostId;
  const driver = new SimDriver({ hostId, startDelayMs: 10 });
  agent = new Agent({
    state,
    driver,
    log: silentLog,
    host,
    heartbeatIntervalMs: 200,
    instanceLogsDirs: [dir],
  });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await scheduler?.stop();
  await queues?.close();
  await h?.deps.redis.call("ACL", "DELUSER", `berth-host-${hostId}`).catch(() => {});
  await new Promise((r) => server?.close(r));
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

it("ships an instance's console.log to the tenant's log API, live", async () => {
  const c = callerFor(h, owner.actor);
  const d = await c.deployments.create({
    tenantId,
    name: "web",
    image: "busybox",
    hostSelector: { sim: "true" },
  });
  const instance = await waitFor(
    async () => {
      const [i] = (await c.deployments.get({ tenantId, deploymentId: d.id })).instances;
      return i?.state === "running" && i;
    },
    { what: "the instance running" },
  );
  // what the container driver does: <dir>/<instanceId>/console.log, appended to
  const file = join(dir, instance.id, "console.log");
  await mkdir(join(dir, instance.id));
  await appendFile(file, "listening on :8080\n");
  const lines = await waitFor(
    async () =>
      (await c.deployments.logs({ tenantId, deploymentId: d.id })).lines.map((l) => l.line).join("|"),
    { what: "the first line in the API", timeoutMs: 5000 },
  );
  expect(lines).toBe("listening on :8080");

  const abort = new AbortController();
  const path = `/tenants/${tenantId}/deployments/${d.id}/logs?follow=true&tail=1`;
  const req = new Request(restRequest(path, { cookie: owner.cookie }), {
    signal: abort.signal,
    headers: { cookie: owner.cookie, accept: "text/event-stream" },
  });
  const res = await handleRest(h.deps, req);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  const until = async (needle: string) => {
    while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value);
  };
  try {
    await until("listening on :8080");
    const latencies: number[] = [];
    for (let n = 0; n < 5; n++) {
      const written = Date.now();
      await appendFile(file, `GET / 200 #${n}\n`);
      await until(`GET / 200 #${n}`);
      latencies.push(Date.now() - written);
    }
    console.log(`file write to SSE event (ms): ${latencies.join(", ")}`);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  } finally {
    abort.abort();
  }
});
