// Per-instance cgroup metrics in heartbeats: stored for the host's own running instances only,
// without touching the state the reconciler reads, and shown in the deployment DTO.
import type { InstanceMetrics } from "@berth/contracts";
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
} from "./testing";

let h: Harness;
let operator: TestUser;
const created: string[] = [];

const capabilities = {
  isolationLevels: ["container"],
  accelerator: null,
  guestKernel: null,
  ociRuntime: "runc 1.1.5",
  cgroup: "v1",
  sim: false,
};
const capacity = { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 };
const sample: InstanceMetrics = {
  cpuMs: 1234,
  cpuPercent: 12.5,
  memoryBytes: 8 * 1024 * 1024,
  memoryLimitBytes: 64 * 1024 * 1024,
  pids: 3,
  pidsLimit: 512,
};

async function join(name: string) {
  const { hostId, hostToken } = await enrollHost(h, operator, name, { capacity, capabilities });
  created.push(hostId);
  await heartbeat(hostToken, []);
  return { hostId, hostToken };
}

const heartbeat = (token: string, instances: unknown[]) =>
  handleRest(
    h.deps,
    restRequest("/agent/heartbeat", { method: "POST", token, body: { capacity, capabilities, instances } }),
  );

const report = (token: string, instanceId: string, state: string) =>
  handleRest(
    h.deps,
    restRequest("/agent/report", { method: "POST", token, body: { instanceId, generation: 1, state } }),
  );

beforeAll(async () => {
  h = await createHarness();
  operator = await signUp(h, "Op", { operator: true });
});
afterAll(async () => {
  for (const id of created) await h.deps.redis.call("ACL", "DELUSER", `berth-host-${id}`).catch(() => {});
  await h?.close();
});

describe("heartbeat metrics", () => {
  it("stores the host's own running instances' samples, never another host's, and refuses bad ones", async () => {
    const a = await join("metrics-a");
    const b = await join("metrics-b");
    const owner = await signUp(h, "Owner");
    const t = await makeTenant(h, owner, "metrics");
    const caller = callerFor(h, owner.actor);
    const d = await caller.deployments.create({ tenantId: t.id, name: "web", image: "busybox", replicas: 1 });
    const id = d.instances[0]?.id ?? "";
    expect(await reserve(h.deps.db, b.hostId, id, 100, 64)).toBe(true);
    expect(
      (await caller.deployments.get({ tenantId: t.id, deploymentId: d.id })).instances[0]?.metrics,
    ).toBeNull();
    for (const s of ["starting", "running"]) expect((await report(b.hostToken, id, s)).status).toBe(200);
    const before = await h.deps.db.instance.findUniqueOrThrow({ where: { id } });

    const running = (metrics: unknown) => ({ instanceId: id, generation: 1, state: "running", metrics });
    expect((await heartbeat(b.hostToken, [running(sample)])).status).toBe(200);
    const stored = await h.deps.db.instance.findUniqueOrThrow({ where: { id } });
    expect(stored.metrics).toEqual(sample);
    expect(stored.metricsAt).not.toBeNull();
    // the reconciler reads updatedAt as the last state change: a sample is not one
    expect([stored.state, stored.updatedAt]).toEqual(["running", before.updatedAt]);
    const dto = (await caller.deployments.get({ tenantId: t.id, deploymentId: d.id })).instances[0];
    expect(dto?.metrics).toEqual({ ...sample, sampledAt: stored.metricsAt?.toISOString() });
    const rest = await handleRest(
      h.deps,
      restRequest(`/tenants/${t.id}/deployments/${d.id}`, { cookie: owner.cookie }),
    );
    expect(((await rest.json()) as typeof d).instances[0]?.metrics).toMatchObject(sample);

    // host A claims B's instance: it is told to stop it, and B's sample stays
    const foreign = await heartbeat(a.hostToken, [running({ ...sample, pids: 999 })]);
    expect(await foreign.json()).toMatchObject({ stop: [{ instanceId: id, generation: 1 }] });
    expect((await h.deps.db.instance.findUniqueOrThrow({ where: { id } })).metrics).toEqual(sample);

    // out of bounds, or a field the contract does not know: 400 naming it, nothing written
    const lastHeartbeat = (await h.deps.db.host.findUniqueOrThrow({ where: { id: b.hostId } }))
      .lastHeartbeatAt;
    for (const [bad, field] of [
      [{ ...sample, cpuMs: -1 }, "instances.0.metrics.cpuMs"],
      [{ ...sample, pids: 1.5 }, "instances.0.metrics.pids"],
      [{ ...sample, memoryLimitBytes: 2 ** 64 }, "instances.0.metrics.memoryLimitBytes"],
      [{ ...sample, swapBytes: 1 }, "instances.0.metrics"],
    ] as const) {
      const res = await heartbeat(b.hostToken, [running(bad)]);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain(`${field}:`);
    }
    const after = await h.deps.db.instance.findUniqueOrThrow({ where: { id } });
    expect([after.metrics, after.metricsAt]).toEqual([sample, stored.metricsAt]);
    const hostB = await h.deps.db.host.findUniqueOrThrow({ where: { id: b.hostId } });
    expect(hostB.lastHeartbeatAt).toEqual(lastHeartbeat);

    // once the instance has ended, its last sample is no longer shown, and a late one is not stored
    expect((await report(b.hostToken, id, "exited")).status).toBe(200);
    expect((await heartbeat(b.hostToken, [running({ ...sample, pids: 7 })])).status).toBe(200);
    expect((await h.deps.db.instance.findUniqueOrThrow({ where: { id } })).metrics).toEqual(sample);
    const ended = (await caller.deployments.get({ tenantId: t.id, deploymentId: d.id })).instances[0];
    expect([ended?.state, ended?.metrics]).toEqual(["exited", null]);
  });
});

describe("virtual machine runtime facts", () => {
  it("records the host's guest kernel and each instance's accelerator, and shows both", async () => {
    const vmCaps = {
      ...capabilities,
      isolationLevels: ["microvm"],
      accelerator: "tcg",
      guestKernel: "6.1.0-56-cloud-amd64",
    };
    const { hostId, hostToken } = await enrollHost(h, operator, "vm-host", {
      capacity,
      capabilities: vmCaps,
    });
    created.push(hostId);
    const beat = restRequest("/agent/heartbeat", {
      method: "POST",
      token: hostToken,
      body: { capacity, capabilities: vmCaps, instances: [] },
    });
    expect((await handleRest(h.deps, beat)).status).toBe(200);
    const hosts = await callerFor(h, operator.actor).hosts.list();
    expect(hosts.find((x) => x.id === hostId)).toMatchObject({
      accelerator: "tcg",
      guestKernel: "6.1.0-56-cloud-amd64",
    });

    const owner = await signUp(h, "Vmowner");
    const t = await makeTenant(h, owner, "vmfacts");
    const caller = callerFor(h, owner.actor);
    const d = await caller.deployments.create({
      tenantId: t.id,
      name: "vm",
      image: "busybox",
      isolation: "microvm",
    });
    const id = d.instances[0]?.id ?? "";
    expect(await reserve(h.deps.db, hostId, id, 100, 64)).toBe(true);
    expect((await report(hostToken, id, "starting")).status).toBe(200);
    const res = await handleRest(
      h.deps,
      restRequest("/agent/report", {
        method: "POST",
        token: hostToken,
        body: { instanceId: id, generation: 1, state: "running", accelerator: "tcg" },
      }),
    );
    expect(res.status).toBe(200);
    const dto = (await caller.deployments.get({ tenantId: t.id, deploymentId: d.id })).instances[0];
    expect([dto?.state, dto?.accelerator]).toEqual(["running", "tcg"]);
    // an accelerator the contract does not know is refused, naming the field
    const bad = await handleRest(
      h.deps,
      restRequest("/agent/report", {
        method: "POST",
        token: hostToken,
        body: { instanceId: id, generation: 1, state: "running", accelerator: "hvf" },
      }),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain("accelerator");
  });
});
