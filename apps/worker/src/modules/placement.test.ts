import { callerFor, createHarness, type Harness, makeTenant, signUp, testRedisUrl } from "@berth/api/testing";
import { placementQueue } from "@berth/contracts";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createQueues } from "../queues";
import { placementModule } from "./placement";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("marks a new deployment's instances as waiting for a host, and fails malformed jobs once", async () => {
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "w");
  const queues = createQueues(testRedisUrl, h.queuePrefix);
  const mod = placementModule({ db: h.deps.db, redisUrl: testRedisUrl, prefix: h.queuePrefix, queues });
  const events = new QueueEvents(placementQueue.name, {
    connection: { url: testRedisUrl },
    prefix: h.queuePrefix,
  });
  await events.waitUntilReady();
  await mod.start();
  try {
    const d = await callerFor(h, owner.actor).deployments.create({
      tenantId: t.id,
      name: "web",
      image: "busybox",
      replicas: 2,
    });
    const [job] = (await h.deps.placementQueue.getJobs()).filter((j) => j.data.deploymentId === d.id);
    expect(job).toBeDefined();
    await job?.waitUntilFinished(events, 10_000);
    const rows = await h.deps.db.instance.findMany({ where: { deploymentId: d.id } });
    expect(rows.map((r) => [r.state, r.reason])).toEqual([
      ["pending", "no host can run this yet: no ready host offers the container level"],
      ["pending", "no host can run this yet: no ready host offers the container level"],
    ]);

    const bad = await h.deps.placementQueue.add("place", { deploymentId: "nope" });
    await expect(bad.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid placement payload/);
    expect((await h.deps.placementQueue.getJob(bad.id ?? ""))?.attemptsMade).toBe(1);
  } finally {
    await mod.stop();
    await queues.close();
    await events.close();
  }
});
