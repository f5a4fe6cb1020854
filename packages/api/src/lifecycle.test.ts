import { afterAll, beforeAll, expect, it } from "vitest";
import { reserve } from "./services/capacity";
import { callerFor, createHarness, type Harness, makeTenant, signUp } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

const states = (d: { instances: { ordinal: number; state: string }[] }) =>
  d.instances.map((i) => `${i.ordinal}:${i.state}`);

it("scales up and down, stops and starts, within the quota", async () => {
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "life");
  await h.deps.db.tenant.update({ where: { id: t.id }, data: { quotaInstances: 4 } });
  const c = callerFor(h, owner.actor);
  const ref = {
    tenantId: t.id,
    deploymentId: (await c.deployments.create({ tenantId: t.id, name: "web", image: "busybox", replicas: 2 }))
      .id,
  };

  const host = await h.deps.db.host.create({
    data: {
      name: "h",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 10,
    },
  });
  const first = await c.deployments.get(ref);
  // instance 0 is placed (it will need a stop job), instance 1 is still pending
  expect(await reserve(h.deps.db, host.id, first.instances[0]?.id ?? "", 500, 264)).toBe(true);

  expect(states(await c.deployments.scale({ ...ref, replicas: 4 }))).toEqual([
    "0:scheduled",
    "1:pending",
    "2:pending",
    "3:pending",
  ]);
  await expect(c.deployments.scale({ ...ref, replicas: 5 })).rejects.toThrow(
    /^instances: the tenant's quota is 4/,
  );

  // scale-down takes unplaced instances first, then the highest ordinals
  expect(states(await c.deployments.scale({ ...ref, replicas: 1 }))).toEqual(["0:scheduled"]);
  const stopped = await c.deployments.stop(ref);
  expect([stopped.desiredState, states(stopped)]).toEqual(["stopped", ["0:stopping"]]);
  // the host reports the stop; the reservation is given back
  await h.deps.db.instance.update({ where: { id: first.instances[0]?.id }, data: { state: "stopped" } });

  const started = await c.deployments.start(ref);
  expect([started.desiredState, started.replicas]).toEqual(["running", 1]);
  expect(started.instances.filter((i) => i.state === "pending").map((i) => i.ordinal)).toEqual([0]);
  expect((await c.audit.list({ tenantId: t.id, limit: 10 })).map((e) => e.action).slice(0, 4)).toEqual([
    "deployment.start",
    "deployment.stop",
    "deployment.scale",
    "deployment.scale",
  ]);
});
