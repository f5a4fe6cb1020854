// The log API on real Postgres and Redis: lines written as an agent writes them (XADD with the
// host's own ACL user), read back through tRPC, REST and the server-sent event stream.
import { logStreamKey } from "@berth/contracts";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
import { createHostRedisUser, deleteHostRedisUser } from "./services/redis-acl";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
  testRedisUrl,
} from "./testing";

type Line = { instanceId: string; ts: string; line: string; id: string };

let h: Harness;
let owner: TestUser;
let viewer: TestUser;
let stranger: TestUser;
let tenantId: string;
let otherTenantId: string;
let deploymentId: string;
let otherDeploymentId: string;
let instances: string[];
let hostId: string;
let agent: Redis;

const ship = (instanceId: string, line: string) =>
  agent.xadd(logStreamKey(h.queuePrefix, hostId, instanceId), "*", "line", line);
const tick = () => new Promise((r) => setTimeout(r, 2));
const logsPath = (t = tenantId, d = deploymentId) => `/tenants/${t}/deployments/${d}/logs`;

beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "Owner");
  viewer = await signUp(h, "Viewer");
  stranger = await signUp(h, "Stranger");
  tenantId = (await makeTenant(h, owner, "logs", [[viewer, "viewer"]])).id;
  otherTenantId = (await makeTenant(h, stranger, "other")).id;
  const host = await h.deps.db.host.create({
    data: {
      name: "n1",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 10,
    },
  });
  hostId = host.id;
  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId,
    name: "web",
    image: "busybox",
    replicas: 2,
  });
  const other = await callerFor(h, stranger.actor).deployments.create({
    tenantId: otherTenantId,
    name: "secret",
    image: "busybox",
  });
  deploymentId = d.id;
  otherDeploymentId = other.id;
  instances = d.instances.map((i) => i.id);
  await h.deps.db.instance.updateMany({ where: { deploymentId }, data: { hostId, state: "running" } });
  await h.deps.db.instance.updateMany({
    where: { deploymentId: other.id },
    data: { hostId, state: "running" },
  });
  const user = await createHostRedisUser(h.deps.redis, { hostId, prefix: h.queuePrefix });
  agent = new Redis(testRedisUrl, { username: user.username, password: user.password });
  const [a = "", b = ""] = instances;
  for (let n = 0; n < 5; n++) {
    // lines of different streams in the same millisecond have no order between them
    await ship(a, `a ${n}`).then(tick);
    await ship(b, `b ${n}`).then(tick);
  }
  await ship(other.instances[0]?.id ?? "", "the other tenant's secret");
});

afterAll(async () => {
  agent?.disconnect();
  await deleteHostRedisUser(h.deps.redis, hostId).catch(() => {});
  await h?.close();
});

describe("deployments.logs", () => {
  it("returns the deployment's lines, oldest first, with instance and time", async () => {
    const { lines } = await callerFor(h, owner.actor).deployments.logs({ tenantId, deploymentId });
    expect(lines.map((l) => l.line)).toEqual([
      "a 0",
      "b 0",
      "a 1",
      "b 1",
      "a 2",
      "b 2",
      "a 3",
      "b 3",
      "a 4",
      "b 4",
    ]);
    expect(lines[0]?.instanceId).toBe(instances[0]);
    expect(lines[1]?.instanceId).toBe(instances[1]);
    expect(Math.abs(Date.parse(lines[0]?.ts ?? "") - Date.now())).toBeLessThan(60_000);
  });

  it("keeps the last `tail` lines, of one instance when asked, since a time", async () => {
    const c = callerFor(h, viewer.actor); // a viewer may read logs
    const tail = await c.deployments.logs({ tenantId, deploymentId, tail: 3 });
    expect(tail.lines.map((l) => l.line)).toEqual(["b 3", "a 4", "b 4"]);
    const one = await c.deployments.logs({ tenantId, deploymentId, instanceId: instances[1] });
    expect(one.lines.map((l) => l.line)).toEqual(["b 0", "b 1", "b 2", "b 3", "b 4"]);
    const all = await c.deployments.logs({ tenantId, deploymentId });
    const since = all.lines.at(-1)?.ts ?? "";
    const later = await c.deployments.logs({ tenantId, deploymentId, since });
    expect(later.lines.length).toBeGreaterThanOrEqual(1);
    expect(later.lines.every((l) => l.ts >= since)).toBe(true);
    await expect(
      c.deployments.logs({ tenantId, deploymentId, instanceId: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toThrow(/instance not found/);
  });

  it("never shows another tenant's logs", async () => {
    const s = callerFor(h, stranger.actor);
    await expect(s.deployments.logs({ tenantId, deploymentId })).rejects.toThrow(/tenant not found/);
    // its own tenant, someone else's deployment id
    await expect(s.deployments.logs({ tenantId: otherTenantId, deploymentId })).rejects.toThrow(
      /deployment not found/,
    );
    const mine = await callerFor(h, owner.actor).deployments.logs({ tenantId, deploymentId, tail: 10_000 });
    expect(mine.lines.map((l) => l.line)).not.toContain("the other tenant's secret");
    for (const path of [
      logsPath(otherTenantId, deploymentId),
      `${logsPath(otherTenantId, deploymentId)}?follow=true`,
    ]) {
      const res = await handleRest(h.deps, restRequest(path, { cookie: stranger.cookie }));
      expect([path, res.status]).toEqual([path, 404]);
    }
    const foreign = await handleRest(
      h.deps,
      restRequest(logsPath(tenantId, otherDeploymentId), { cookie: owner.cookie }),
    );
    expect(foreign.status).toBe(404);
  });

  it("still shows what an instance wrote on the host it was moved from", async () => {
    const c = callerFor(h, owner.actor);
    const d = await c.deployments.create({ tenantId, name: "moved", image: "busybox" });
    const id = d.instances[0]?.id ?? "";
    await h.deps.db.instance.update({ where: { id }, data: { hostId, state: "running" } });
    await ship(id, "out of memory, probably").then(tick);
    // the host went down; the instance runs elsewhere now
    const next = await h.deps.db.host.create({
      data: {
        name: "n2",
        address: "127.0.0.2",
        isolationLevels: ["container"],
        status: "ready",
        cpuMillis: 1,
        memoryMiB: 1,
        maxInstances: 1,
      },
    });
    await h.deps.db.instance.update({ where: { id }, data: { hostId: next.id } });
    await h.deps.redis.xadd(logStreamKey(h.queuePrefix, next.id, id), "*", "line", "started again");
    const { lines } = await c.deployments.logs({ tenantId, deploymentId: d.id });
    expect(lines.map((l) => l.line)).toEqual(["out of memory, probably", "started again"]);
    const res = await handleRest(
      h.deps,
      new Request(restRequest(`${logsPath(tenantId, d.id)}?follow=true`, { cookie: owner.cookie }), {
        signal: AbortSignal.timeout(3000),
      }),
    );
    const events = readEvents(res);
    expect((await events.next(2)).map((l) => l.line)).toEqual(["out of memory, probably", "started again"]);
  });

  it("is served on REST as JSON and listed in the OpenAPI document", async () => {
    const res = await handleRest(h.deps, restRequest(`${logsPath()}?tail=2`, { cookie: viewer.cookie }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { lines: Line[] };
    expect(body.lines.map((l) => l.line)).toEqual(["a 4", "b 4"]);
    const bad = await handleRest(h.deps, restRequest(`${logsPath()}?tail=zero`, { cookie: viewer.cookie }));
    expect(bad.status).toBe(400);
    const doc = (await (await handleRest(h.deps, restRequest("/openapi.json"))).json()) as { paths: object };
    expect(Object.keys(doc.paths)).toContain("/tenants/{tenantId}/deployments/{deploymentId}/logs");
  });
});

describe("following", () => {
  it("sends the last lines, then a new line within a second, and new instances' lines", async () => {
    const abort = new AbortController();
    const req = new Request(restRequest(`${logsPath()}?follow=true&tail=2`, { cookie: viewer.cookie }), {
      signal: abort.signal,
      headers: { cookie: viewer.cookie, accept: "text/event-stream" },
    });
    const res = await handleRest(h.deps, req);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = readEvents(res);
    try {
      expect((await events.next(2)).map((l) => l.line)).toEqual(["a 4", "b 4"]);
      const latencies: number[] = [];
      for (let n = 0; n < 5; n++) {
        const sent = Date.now();
        await ship(instances[n % 2] ?? "", `live ${n}`);
        const [got] = await events.next(1);
        latencies.push(Date.now() - sent);
        expect(got?.line).toBe(`live ${n}`);
      }
      console.log(`follow latency (ms): ${latencies.join(", ")}`);
      expect(Math.max(...latencies)).toBeLessThan(1000);

      // a scale-up: an instance that did not exist when the stream started
      await callerFor(h, owner.actor).deployments.scale({ tenantId, deploymentId, replicas: 3 });
      const added = await h.deps.db.instance.findFirstOrThrow({ where: { deploymentId, ordinal: 2 } });
      await h.deps.db.instance.update({ where: { id: added.id }, data: { hostId, state: "running" } });
      await ship(added.id, "from the new one");
      const [fresh] = await events.next(1, 5000);
      expect(fresh).toMatchObject({ instanceId: added.id, line: "from the new one" });
    } finally {
      abort.abort();
    }
  });
});

describe("following, when access goes", () => {
  it("ends the stream, saying why, once the reader is no longer a member", async () => {
    const leaver = await signUp(h, "Leaver");
    await h.deps.db.membership.create({ data: { tenantId, userId: leaver.id, role: "viewer" } });
    const abort = new AbortController();
    const req = new Request(restRequest(`${logsPath()}?follow=true&tail=1`, { cookie: leaver.cookie }), {
      signal: abort.signal,
    });
    const res = await handleRest(h.deps, req);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    try {
      text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"line":"');
      await h.deps.db.membership.delete({ where: { tenantId_userId: { tenantId, userId: leaver.id } } });
      const deadline = Date.now() + 5000;
      for (let chunk = await reader.read(); !chunk.done && Date.now() < deadline; chunk = await reader.read())
        text += new TextDecoder().decode(chunk.value);
      expect(text).toMatch(/event: end\ndata: \{"code":"NOT_FOUND","message":"tenant not found"\}/);
    } finally {
      abort.abort();
    }
  });
});

/** Reads `data:` events as JSON lines, `n` at a time, failing after `timeoutMs`. */
function readEvents(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const queue: Line[] = [];
  return {
    async next(n: number, timeoutMs = 3000): Promise<Line[]> {
      const deadline = Date.now() + timeoutMs;
      while (queue.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`only ${queue.length} of ${n} events within ${timeoutMs} ms`);
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no event in time")), left)),
        ]);
        if (chunk.done) throw new Error("the stream ended");
        buffer += decoder.decode(chunk.value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split("\n").find((l) => l.startsWith("data: "));
          if (data) queue.push(JSON.parse(data.slice(6)) as Line);
        }
      }
      return queue.splice(0, n);
    },
  };
}
