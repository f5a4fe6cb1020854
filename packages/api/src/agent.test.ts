import { hostQueue } from "@berth/contracts";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
import { reserve } from "./services/capacity";
import {
  callerFor,
  createHarness,
  enrollHost,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
  testRedisUrl,
} from "./testing";

let h: Harness;
let operator: TestUser;

const capabilities = {
  isolationLevels: ["container"],
  accelerator: null,
  guestKernel: null,
  ociRuntime: "runc 1.1.5",
  cgroup: "v1",
  sim: false,
};
const capacity = { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 };

async function join(name: string) {
  const joined = await enrollHost(h, operator, name, { capacity, capabilities });
  expect(joined.command).toBe(`berth-agent join --server http://127.0.0.1:3999 --token ${joined.joinToken}`);
  return joined;
}

const created: string[] = [];
beforeAll(async () => {
  h = await createHarness();
  operator = await signUp(h, "Op", { operator: true });
});
afterAll(async () => {
  for (const id of created) await h.deps.redis.call("ACL", "DELUSER", `berth-host-${id}`).catch(() => {});
  await h?.close();
});

describe("agent protocol", () => {
  it("enrolls once per join token, then heartbeats make the host ready", async () => {
    const a = await join("node-a");
    created.push(a.hostId);
    const again = await handleRest(
      h.deps,
      restRequest("/agent/join", {
        method: "POST",
        body: { joinToken: a.joinToken, name: "node-z", address: "x", capacity, capabilities },
      }),
    );
    expect(again.status).toBe(401);
    expect(((await again.json()) as { message: string }).message).toMatch(/^joinToken:/);

    const hb = await handleRest(
      h.deps,
      restRequest("/agent/heartbeat", {
        method: "POST",
        token: a.hostToken,
        body: { capacity, capabilities, instances: [] },
      }),
    );
    expect(hb.status).toBe(200);
    const host = await h.deps.db.host.findUniqueOrThrow({ where: { id: a.hostId } });
    expect([host.status, host.isolationLevels]).toEqual(["ready", ["container"]]);
  });

  it("a host token reaches only agent endpoints, and only its own instances", async () => {
    const a = await join("node-b");
    const b = await join("node-c");
    created.push(a.hostId, b.hostId);
    for (const x of [a, b]) {
      await handleRest(
        h.deps,
        restRequest("/agent/heartbeat", {
          method: "POST",
          token: x.hostToken,
          body: { capacity, capabilities, instances: [] },
        }),
      );
    }
    expect((await handleRest(h.deps, restRequest("/tenants", { token: a.hostToken }))).status).toBe(403);

    const owner = await signUp(h, "Owner");
    const t = await makeTenant(h, owner, "agents");
    const d = await callerFor(h, owner.actor).deployments.create({
      tenantId: t.id,
      name: "web",
      image: "busybox",
      replicas: 1,
    });
    const inst = d.instances[0];
    if (!inst) throw new Error("no instance");
    expect(await reserve(h.deps.db, b.hostId, inst.id, 100, 64)).toBe(true);

    const foreign = await handleRest(
      h.deps,
      restRequest(`/agent/instances/${inst.id}`, { token: a.hostToken }),
    );
    expect(foreign.status).toBe(404);
    const own = await handleRest(h.deps, restRequest(`/agent/instances/${inst.id}`, { token: b.hostToken }));
    expect(await own.json()).toMatchObject({ instanceId: inst.id, image: "busybox" });

    // a report from the wrong host changes nothing; the right host's is applied once
    const report = (token: string, state: string) =>
      handleRest(
        h.deps,
        restRequest("/agent/report", {
          method: "POST",
          token,
          body: { instanceId: inst.id, generation: 1, state },
        }),
      );
    expect(await (await report(a.hostToken, "starting")).json()).toEqual({ decision: "stale" });
    expect(await (await report(b.hostToken, "starting")).json()).toEqual({ decision: "apply" });
    expect(await (await report(b.hostToken, "starting")).json()).toEqual({ decision: "duplicate" });
    expect(await (await report(b.hostToken, "stopped")).json()).toEqual({ decision: "invalid" });
    expect(await (await report(b.hostToken, "running")).json()).toEqual({ decision: "apply" });
    expect(await (await report(b.hostToken, "exited")).json()).toEqual({ decision: "apply" });
    const hostB = await h.deps.db.host.findUniqueOrThrow({ where: { id: b.hostId } });
    expect([hostB.reservedCpuMillis, hostB.reservedMemoryMiB, hostB.reservedInstances]).toEqual([0, 0, 0]);
  });

  it("one host's Redis credentials cannot read or write another host's queue", async () => {
    const a = await join("node-d");
    const b = await join("node-e");
    created.push(a.hostId, b.hostId);
    const admin = new Queue(hostQueue.name(b.hostId), {
      connection: new Redis(testRedisUrl),
      prefix: h.queuePrefix,
    });
    await admin.add("start", { kind: "start", instanceId: crypto.randomUUID(), generation: 1 });

    const cleanups: (() => Promise<unknown>)[] = [];
    const asA = new Redis(testRedisUrl, {
      username: a.redis.username,
      password: a.redis.password,
      maxRetriesPerRequest: 1,
    });
    try {
      const own = `${h.queuePrefix}:host-${a.hostId}:probe`;
      await asA.set(own, "1");
      expect(await asA.get(own)).toBe("1");
      const other = `${h.queuePrefix}:host-${b.hostId}:wait`;
      await expect(asA.lrange(other, 0, -1)).rejects.toThrow(/NOPERM/);
      await expect(asA.set(`${h.queuePrefix}:host-${b.hostId}:x`, "1")).rejects.toThrow(/NOPERM/);
      await expect(asA.flushall()).rejects.toThrow(/NOPERM/);
      await expect(asA.keys("*")).rejects.toThrow(/NOPERM/);
      // BullMQ itself, as host A, on host B's queue
      // …while on its own queue, a BullMQ worker with these credentials gets its jobs
      const ownQueue = new Queue(hostQueue.name(a.hostId), {
        connection: new Redis(testRedisUrl),
        prefix: h.queuePrefix,
      });
      await ownQueue.add("start", { kind: "start", instanceId: crypto.randomUUID(), generation: 1 });
      const got = new Promise<string>((resolve) => {
        const w = new Worker(hostQueue.name(a.hostId), async (job) => resolve(job.name), {
          connection: new Redis(testRedisUrl, {
            username: a.redis.username,
            password: a.redis.password,
            maxRetriesPerRequest: null,
          }),
          prefix: h.queuePrefix,
        });
        w.on("error", () => {});
        cleanups.push(() => w.close(true));
      });
      expect(await got).toBe("start");
      cleanups.push(async () => {
        await ownQueue.close();
        (await ownQueue.client).disconnect();
      });
      const sneaky = new Queue(hostQueue.name(b.hostId), { connection: asA, prefix: h.queuePrefix });
      await expect(sneaky.getWaiting()).rejects.toThrow(/NOPERM/);
    } finally {
      for (const c of cleanups) await c();
      asA.disconnect();
      await admin.close();
      (await admin.client).disconnect();
    }
  });
});
