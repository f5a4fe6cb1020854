import { callerFor, createHarness, type Harness, makeTenant, signUp, testRedisUrl } from "@berth/api/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createQueues, type Queues } from "../queues";
import { placeDeployment } from "../scheduler/place";
import { markDownHosts } from "./liveness";
import { reconcile } from "./reconcile";

let h: Harness;
let queues: Queues;
beforeAll(async () => {
  h = await createHarness();
  queues = createQueues(testRedisUrl, h.queuePrefix);
});
afterAll(async () => {
  await queues?.close();
  await h?.close();
});

const host = (name: string, heartbeatAgoMs: number) =>
  h.deps.db.host.create({
    data: {
      name,
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 4000,
      memoryMiB: 4096,
      maxInstances: 10,
      lastHeartbeatAt: new Date(Date.now() - heartbeatAgoMs),
    },
  });

it("a silent host goes down, its instances are freed and placed on the live host", async () => {
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "live");
  const a = await host("a", 0);
  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId: t.id,
    name: "web",
    image: "busybox",
    replicas: 3,
    cpuMillis: 100,
    memoryMiB: 64,
  });
  const first = await placeDeployment(h.deps.db, d.id);
  expect(first.placed.every((p) => p.hostId === a.id)).toBe(true);
  const b = await host("b", 0);

  // a has not answered for 20 s, b just did; the TTL is 15 s
  await h.deps.db.host.update({
    where: { id: a.id },
    data: { lastHeartbeatAt: new Date(Date.now() - 20_000) },
  });
  const res = await markDownHosts(h.deps.db, 15_000);
  expect(res).toEqual({ hosts: [a.id], deployments: [d.id] });
  const hostA = await h.deps.db.host.findUniqueOrThrow({ where: { id: a.id } });
  expect([hostA.status, hostA.reservedInstances, hostA.reservedCpuMillis, hostA.reservedMemoryMiB]).toEqual([
    "down",
    0,
    0,
    0,
  ]);

  const second = await placeDeployment(h.deps.db, d.id);
  expect(second.placed.map((p) => p.hostId)).toEqual([b.id, b.id, b.id]);
  const rows = await h.deps.db.instance.findMany({ where: { deploymentId: d.id } });
  expect(rows.map((r) => [r.state, r.hostId])).toEqual(Array(3).fill(["scheduled", b.id]));
  // running twice changes nothing more
  expect(await markDownHosts(h.deps.db, 15_000)).toEqual({ hosts: [], deployments: [] });
});

it("rebuilds lost queue work from Postgres after Redis lost it", async () => {
  const owner = await signUp(h, "Owner2");
  const t = await makeTenant(h, owner, "recon");
  await host("c", 0);
  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId: t.id,
    name: "api",
    image: "busybox",
    replicas: 2,
    cpuMillis: 100,
    memoryMiB: 64,
  });
  // Redis loses everything of ours (FLUSHALL of our prefix: other tests share this Redis)
  const keys = await h.deps.redis.keys(`${h.queuePrefix}:*`);
  if (keys.length) await h.deps.redis.del(...keys);
  expect((await reconcile(h.deps.db, queues, { staleMs: 0 })).placements).toBeGreaterThanOrEqual(1);
  const waiting = await queues.placement.getJobs(["waiting"]);
  expect(waiting.some((j) => j.data.deploymentId === d.id)).toBe(true);

  await placeDeployment(h.deps.db, d.id);
  const keys2 = await h.deps.redis.keys(`${h.queuePrefix}:*`);
  if (keys2.length) await h.deps.redis.del(...keys2);
  const r = await reconcile(h.deps.db, queues, { staleMs: 0 });
  expect(r.restarts).toBeGreaterThanOrEqual(2);
  // every scheduled instance has its start job back on its own host's queue
  for (const i of await h.deps.db.instance.findMany({ where: { deploymentId: d.id } })) {
    const job = await queues.host(i.hostId ?? "").getJob(i.id);
    expect([i.state, job?.data]).toEqual(["scheduled", { kind: "start", instanceId: i.id, generation: 1 }]);
  }
});
