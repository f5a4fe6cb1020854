import { afterAll, beforeAll, expect, it } from "vitest";
import { callerFor, createHarness, type Harness, makeTenant, signUp } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("restart is a new generation of the same spec; the timeline holds changes and instances", async () => {
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "events");
  const c = callerFor(h, owner.actor);
  const d = await c.deployments.create({ tenantId: t.id, name: "web", image: "busybox", env: { A: "1" } });
  const ref = { tenantId: t.id, deploymentId: d.id };

  const restarted = await c.deployments.restart(ref);
  expect([restarted.generation, restarted.image, restarted.env]).toEqual([2, "busybox", { A: "1" }]);
  expect((await c.deployments.revisions(ref)).map((r) => `${r.generation}:${r.reason}`)).toEqual([
    "2:restart",
    "1:created",
  ]);
  await c.deployments.update({ ...ref, env: { A: "2" } });

  // instance 0 of generation 1 ran and was replaced
  const first = d.instances[0]?.id ?? "";
  await h.deps.db.instance.update({
    where: { id: first },
    data: {
      state: "stopped",
      startedAt: new Date(),
      stoppedAt: new Date(Date.now() + 1000),
      reason: "replaced by generation 2",
    },
  });

  const events = await c.deployments.events(ref);
  const changes = events.filter((e) => e.kind === "change").map((e) => e.summary);
  expect(changes).toEqual(["Updated env: generation 3", "Restarted: generation 2", "Created"]);
  const mine = events.filter((e) => e.instanceId === first).map((e) => e.summary);
  expect(mine).toEqual([
    "Instance 0 (generation 1) stopped: replaced by generation 2",
    "Instance 0 (generation 1) started",
    "Instance 0 (generation 1) created",
  ]);
  expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort().reverse());
  expect(await c.deployments.events({ ...ref, limit: 2 })).toHaveLength(2);

  // a stopped deployment is started, not restarted
  await c.deployments.stop(ref);
  await expect(c.deployments.restart(ref)).rejects.toThrow(/^deployment: it is stopped/);
});
