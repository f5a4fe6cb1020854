import { callerFor, createHarness, type Harness, makeTenant, signUp } from "@berth/api/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { placeDeployment } from "./place";
import { drainStep, ensureReplicas, restartDelayMs } from "./replicas";

let h: Harness;
let owner: Awaited<ReturnType<typeof signUp>>;
let tenantId: string;
beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "Owner");
  tenantId = (await makeTenant(h, owner, "rep")).id;
});
afterAll(() => h?.close());

const host = (name: string) =>
  h.deps.db.host.create({
    data: {
      name,
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 4000,
      memoryMiB: 4096,
      maxInstances: 10,
      lastHeartbeatAt: new Date(),
    },
  });
const setState = (where: object, state: "running" | "stopped" | "failed") =>
  h.deps.db.instance.updateMany({
    where,
    data: { state, stoppedAt: state === "running" ? null : new Date() },
  });

it("backs off exponentially up to five minutes", () => {
  expect([0, 1, 2, 3, 10, 30].map(restartDelayMs)).toEqual([0, 1000, 2000, 4000, 300_000, 300_000]);
});

it("replaces a failed instance after the backoff, once, even with concurrent controllers", async () => {
  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId,
    name: "crashy",
    image: "busybox",
    replicas: 2,
  });
  const [first] = d.instances;
  await setState({ id: first?.id }, "failed");
  expect(await ensureReplicas(h.deps.db)).not.toContain(d.id); // within the 1 s backoff
  const later = new Date(Date.now() + 1_500);
  const runs = await Promise.all([
    ensureReplicas(h.deps.db, later),
    ensureReplicas(h.deps.db, later),
    ensureReplicas(h.deps.db, later),
  ]);
  expect(runs.filter((r) => r.includes(d.id))).toHaveLength(1);
  const rows = await h.deps.db.instance.findMany({ where: { deploymentId: d.id } });
  expect(rows.map((r) => `${r.ordinal}:${r.state}`).sort()).toEqual(["0:failed", "0:pending", "1:pending"]);
});

it("drains a host with at most one instance of a deployment unavailable at any time", async () => {
  const a = await host("drain-a");
  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId,
    name: "steady",
    image: "busybox",
    replicas: 3,
  });
  await placeDeployment(h.deps.db, d.id);
  await setState({ deploymentId: d.id }, "running");
  const b = await host("drain-b");
  await h.deps.db.host.update({
    where: { id: a.id },
    data: { cordoned: true, drainRequestedAt: new Date() },
  });

  const unavailable = async () => {
    const rows = await h.deps.db.instance.findMany({ where: { deploymentId: d.id, state: "running" } });
    return 3 - rows.length;
  };
  for (let round = 0; round < 10; round++) {
    await drainStep(h.deps.db);
    expect(await unavailable()).toBeLessThanOrEqual(1);
    // the agent stops what it was told to stop, the controller replaces it, the scheduler places it, it runs
    await setState({ deploymentId: d.id, state: "stopping" }, "stopped");
    await ensureReplicas(h.deps.db);
    await placeDeployment(h.deps.db, d.id);
    await setState({ deploymentId: d.id, state: "scheduled" }, "running");
  }
  const live = await h.deps.db.instance.findMany({ where: { deploymentId: d.id, state: "running" } });
  expect(live.map((i) => i.hostId)).toEqual([b.id, b.id, b.id]);
});
