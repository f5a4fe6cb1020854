import { callerFor, createHarness, type Harness, makeTenant, signUp } from "@berth/api/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { placeDeployment } from "./place";
import { ensureReplicas } from "./replicas";
import { rolloutStep } from "./rollout";

let h: Harness;
let caller: ReturnType<typeof callerFor>;
let tenantId: string;
beforeAll(async () => {
  h = await createHarness();
  const owner = await signUp(h, "Owner");
  caller = callerFor(h, owner.actor);
  tenantId = (await makeTenant(h, owner, "roll")).id;
  await h.deps.db.host.create({
    data: {
      name: "h",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 20,
      lastHeartbeatAt: new Date(),
    },
  });
});
afterAll(() => h?.close());

/** What the agent and the rest of the control plane would do between two reconciler ticks. */
async function world(deploymentId: string, fail: (generation: number) => boolean) {
  const db = h.deps.db;
  await db.instance.updateMany({ where: { deploymentId, state: "stopping" }, data: { state: "stopped" } });
  await ensureReplicas(db);
  await placeDeployment(db, deploymentId);
  for (const i of await db.instance.findMany({ where: { deploymentId, state: "scheduled" } })) {
    await db.instance.update({
      where: { id: i.id },
      data: fail(i.generation)
        ? { state: "failed", stoppedAt: new Date(Date.now() - 60_000) }
        : { state: "running" },
    });
  }
}

async function rollUntilSettled(
  deploymentId: string,
  replicas: number,
  fail: (g: number) => boolean = () => false,
) {
  const outcomes: string[] = [];
  for (let tick = 0; tick < 30; tick++) {
    await world(deploymentId, fail);
    const rows = await h.deps.db.instance.findMany({ where: { deploymentId } });
    const running = rows.filter((r) => r.state === "running").length;
    const active = rows.filter((r) =>
      ["pending", "scheduled", "starting", "running"].includes(r.state),
    ).length;
    expect(running).toBeGreaterThanOrEqual(replicas - 1);
    expect(active).toBeLessThanOrEqual(replicas + 1);
    const step = (await rolloutStep(h.deps.db)).get(deploymentId);
    if (!step) break;
    outcomes.push(step);
  }
  return outcomes;
}

it("replaces instances one at a time with one extra, then rolls back a failing generation", async () => {
  const d = await caller.deployments.create({
    tenantId,
    name: "web",
    image: "busybox:1",
    replicas: 3,
    cpuMillis: 100,
    memoryMiB: 64,
  });
  const ref = { tenantId, deploymentId: d.id };
  await rollUntilSettled(d.id, 3);

  const updated = await caller.deployments.update({ ...ref, image: "busybox:2" });
  expect([updated.generation, updated.image, updated.cpuMillis]).toEqual([2, "busybox:2", 100]);
  const steps = await rollUntilSettled(d.id, 3);
  expect(steps).toEqual(["surge", "retire", "surge", "retire", "surge", "retire"]);
  const after = await caller.deployments.get(ref);
  expect(
    after.instances
      .filter((i) => i.state === "running")
      .map((i) => `${i.ordinal}:${i.generation}`)
      .sort(),
  ).toEqual(["0:2", "1:2", "2:2"]);

  // generation 3 cannot start: the first new instance fails and the deployment goes back
  await caller.deployments.update({ ...ref, image: "busybox:broken" });
  const rollback = await rollUntilSettled(d.id, 3, (g) => g === 3);
  expect(rollback.slice(0, 2)).toEqual(["surge", "rollback"]);
  const back = await caller.deployments.get(ref);
  expect([back.generation, back.image]).toEqual([4, "busybox:2"]);
  expect(back.instances.filter((i) => i.state === "running")).toHaveLength(3);
  const revisions = await caller.deployments.revisions(ref);
  expect(revisions.map((r) => [r.generation, r.reason])).toEqual([
    [4, "automatic rollback: generation 3 failed"],
    [3, "update"],
    [2, "update"],
    [1, "created"],
  ]);

  // and by hand, to any generation on record
  const manual = await caller.deployments.rollback({ ...ref, toGeneration: 1 });
  expect([manual.generation, manual.image]).toEqual([5, "busybox:1"]);
  await expect(caller.deployments.rollback({ ...ref, toGeneration: 9 })).rejects.toThrow(
    /^toGeneration: generation 9/,
  );
});
