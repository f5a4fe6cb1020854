import { afterAll, beforeAll, expect, it } from "vitest";
import { callerFor, createHarness, type Harness, makeTenant, signUp } from "./testing";

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
