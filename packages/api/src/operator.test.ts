import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callerFor, createHarness, type Harness, makeTenant, signUp, testRedisUrl } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("operators see every tenant and set its quotas and isolation policy; others are refused", async () => {
  const op = callerFor(h, (await signUp(h, "Op", { operator: true })).actor);
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "policy");
  const listed = await op.operator.tenants();
  const row = listed.find((x) => x.id === t.id);
  expect(row).toMatchObject({ members: 1, deployments: 0, instances: 0, role: null });

  const updated = await op.operator.updateTenant({
    tenantId: t.id,
    quota: { instances: 7, cpuMillis: 3000 },
    isolation: { allowed: ["container", "microvm"], default: "microvm", dedicatedHosts: true },
  });
  expect(updated.quota).toEqual({ cpuMillis: 3000, memoryMiB: row?.quota.memoryMiB, instances: 7 });
  expect(updated.isolation).toEqual({
    default: "microvm",
    allowed: ["container", "microvm"],
    dedicatedHosts: true,
  });
  // the default must stay allowed: named field, nothing written
  await expect(
    op.operator.updateTenant({ tenantId: t.id, isolation: { allowed: ["unikernel"] } }),
  ).rejects.toThrow(/isolation\.default: microvm is not among the allowed levels/);
  expect((await op.operator.tenants()).find((x) => x.id === t.id)?.isolation.allowed).toEqual([
    "container",
    "microvm",
  ]);
  await expect(
    op.operator.updateTenant({ tenantId: crypto.randomUUID(), quota: { instances: 1 } }),
  ).rejects.toThrow(/not found/);

  // the tenant's owner is no operator: every operator procedure is refused
  const own = callerFor(h, owner.actor);
  for (const call of [
    () => own.operator.tenants(),
    () => own.operator.updateTenant({ tenantId: t.id, quota: { instances: 500 } }),
    () => own.operator.audit({}),
    () => own.operator.queues(),
    () => own.operator.queueJobs({ queue: "placement" }),
    () => own.operator.retryJob({ queue: "placement", jobId: "1" }),
    () => own.operator.removeJob({ queue: "placement", jobId: "1" }),
  ])
    await expect(call()).rejects.toMatchObject({ code: "FORBIDDEN" });
});

it("the whole audit log pages backwards, filters by tenant or platform, names actors and tenants", async () => {
  const opUser = await signUp(h, "Auditor", { operator: true });
  const op = callerFor(h, opUser.actor);
  const owner = await signUp(h, "Owner2");
  const t = await makeTenant(h, owner, "audited");
  await op.operator.updateTenant({ tenantId: t.id, quota: { instances: 9 } });
  await op.hosts.createJoinToken();

  const first = await op.operator.audit({ limit: 1 });
  expect(first.entries).toHaveLength(1);
  expect(first.entries[0]).toMatchObject({ action: "host.join-token", tenantId: null, actorName: "Auditor" });
  expect(first.next).toBe(first.entries[0]?.id);
  const second = await op.operator.audit({ limit: 1, before: first.next ?? undefined });
  expect(second.entries[0]).toMatchObject({ action: "tenant.policy", tenantName: t.name });

  const ofTenant = await op.operator.audit({ tenantId: t.id });
  expect(ofTenant.entries.map((e) => e.action)).toEqual(["tenant.policy", "tenant.create"]);
  expect(ofTenant.next).toBeNull();
  const platform = await op.operator.audit({ platform: true });
  expect(platform.entries.every((e) => e.tenantId === null)).toBe(true);
});

it("queues: the placement queue and one per host, with job counts", async () => {
  const op = callerFor(h, (await signUp(h, "Queues", { operator: true })).actor);
  const host = await h.deps.db.host.create({
    data: {
      name: "q1",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 1000,
      memoryMiB: 1024,
      maxInstances: 4,
    },
  });
  await h.deps.placementQueue.add("place", {
    deploymentId: crypto.randomUUID(),
    tenantId: crypto.randomUUID(),
    generation: 1,
  });
  const queues = await op.operator.queues();
  expect(queues[0]).toMatchObject({ name: "placement", kind: "placement" });
  expect(queues[0]?.counts.waiting).toBeGreaterThanOrEqual(1);
  expect(queues.find((q) => q.kind === "host" && q.hostName === "q1")).toMatchObject({
    name: `host-${host.id}`,
    counts: { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, paused: 0 },
  });
});

it("queue jobs: a failed job is listed with its reason, retried, then removed; each repair audited", async () => {
  const opUser = await signUp(h, "Repairs", { operator: true });
  const op = callerFor(h, opUser.actor);
  const job = await h.deps.placementQueue.add("place", { deploymentId: "not-a-uuid" }, { attempts: 1 });
  // a real worker on the test's placement queue that fails every job, as a bad payload would
  const failOnce = async () => {
    const connection = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(
      h.deps.placementQueue.name,
      async () => {
        throw new Error("invalid placement payload: deploymentId must be a UUID");
      },
      { connection, prefix: h.queuePrefix },
    );
    try {
      for (let i = 0; i < 100 && (await job.getState()) !== "failed"; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.close();
      await connection.quit();
    }
  };
  await failOnce();
  const failed = await op.operator.queueJobs({ queue: "placement", state: "failed", start: 0 });
  const listed = failed.jobs.find((j) => j.id === job.id);
  expect(listed).toMatchObject({
    name: "place",
    state: "failed",
    attemptsMade: expect.any(Number),
    failedReason: "invalid placement payload: deploymentId must be a UUID",
    data: '{"deploymentId":"not-a-uuid"}',
  });
  expect(failed.total).toBeGreaterThanOrEqual(1);
  expect(listed?.finishedAt).not.toBeNull();

  // retry puts it back to waiting; a second retry is refused: it is no longer failed
  const jobId = job.id ?? "";
  expect(await op.operator.retryJob({ queue: "placement", jobId })).toMatchObject({
    id: jobId,
    state: "waiting",
  });
  expect(await job.getState()).toBe("waiting");
  await expect(op.operator.retryJob({ queue: "placement", jobId })).rejects.toMatchObject({
    code: "CONFLICT",
    message: expect.stringMatching(/^jobId: job .* is waiting; only a failed job can be retried/),
  });
  const waiting = await op.operator.queueJobs({ queue: "placement", state: "waiting", start: 0 });
  expect(waiting.jobs.map((j) => j.id)).toContain(jobId);
  // a worker runs it again: it fails again, its runs counted
  await failOnce();
  const again = await op.operator.queueJobs({ queue: "placement", state: "failed", start: 0 });
  expect(again.jobs.find((j) => j.id === jobId)?.attemptsMade).toBe(2);

  await op.operator.removeJob({ queue: "placement", jobId });
  expect(await h.deps.placementQueue.getJob(jobId)).toBeUndefined();
  await expect(op.operator.removeJob({ queue: "placement", jobId })).rejects.toMatchObject({
    code: "NOT_FOUND",
    message: `job ${jobId} in queue placement not found`,
  });

  // unknown queues and malformed names are refused, naming them
  const nobody = `host-${crypto.randomUUID()}`;
  await expect(op.operator.queueJobs({ queue: nobody })).rejects.toMatchObject({
    code: "NOT_FOUND",
    message: `queue ${nobody} not found`,
  });
  await expect(op.operator.queueJobs({ queue: "../etc" })).rejects.toMatchObject({ code: "BAD_REQUEST" });

  const audit = await op.operator.audit({ platform: true });
  const mine = audit.entries
    .filter((e) => e.actorId === opUser.id && e.target === jobId)
    .map((e) => e.action);
  expect(mine.sort()).toEqual(["queue.job.remove", "queue.job.retry"]);
});
