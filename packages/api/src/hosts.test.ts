import { afterAll, beforeAll, expect, it } from "vitest";
import { reserve } from "./services/capacity";
import { callerFor, createHarness, type Harness, makeTenant, signUp } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("operators cordon, drain and remove hosts; a busy host cannot be removed", async () => {
  const op = callerFor(h, (await signUp(h, "Op", { operator: true })).actor);
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "hosts");
  const host = await h.deps.db.host.create({
    data: {
      name: "n1",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 1000,
      memoryMiB: 1024,
      maxInstances: 4,
    },
  });
  const ref = { hostId: host.id };
  expect((await op.hosts.cordon({ ...ref, cordoned: true })).cordoned).toBe(true);
  expect((await op.hosts.cordon({ ...ref, cordoned: false })).cordoned).toBe(false);
  const drained = await op.hosts.drain(ref);
  expect([drained.cordoned, drained.draining]).toEqual([true, true]);
  // uncordoning stops a drain (the dashboard's "Stop drain"); draining again starts a new one
  const stopped = await op.hosts.cordon({ ...ref, cordoned: false });
  expect([stopped.cordoned, stopped.draining, stopped.drain]).toEqual([false, false, null]);
  expect((await op.hosts.drain(ref)).draining).toBe(true);

  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId: t.id,
    name: "web",
    image: "busybox",
  });
  await h.deps.db.host.update({ where: { id: host.id }, data: { cordoned: false } });
  expect(await reserve(h.deps.db, host.id, d.instances[0]?.id ?? "", 100, 64)).toBe(true);
  await expect(op.hosts.remove(ref)).rejects.toThrow(
    /^hostId: 1 instance\(s\) still on the host; drain it first/,
  );

  await h.deps.db.instance.updateMany({ where: { hostId: host.id }, data: { state: "stopped" } });
  const removed = await op.hosts.remove(ref);
  expect(removed.status).toBe("removed");
  await expect(op.hosts.remove(ref)).rejects.toThrow(/not found/);
  const actions = await h.deps.db.auditLog.findMany({ where: { target: host.id }, orderBy: { id: "asc" } });
  expect(actions.map((a) => a.action)).toEqual([
    "host.cordon",
    "host.uncordon",
    "host.drain",
    "host.uncordon",
    "host.drain",
    "host.remove",
  ]);
});
