import { describe, expect, it } from "vitest";
import type { Deployment, Host, Instance } from "./types";
import { type HostsView, UNPLACEABLE, waitForRunning } from "./wait";

const at = "2026-01-01T00:00:00.000Z";
const instance = (over: Partial<Instance> = {}): Instance => ({
  id: "00000000-0000-4000-8000-000000000010",
  deploymentId: "00000000-0000-4000-8000-000000000001",
  hostId: null,
  ordinal: 0,
  generation: 1,
  state: "pending",
  reason: null,
  exitCode: null,
  endpoints: [],
  accelerator: null,
  createdAt: at,
  updatedAt: at,
  ...over,
});
const deployment = (instances: Instance[]): Deployment => ({
  id: "00000000-0000-4000-8000-000000000001",
  tenantId: "00000000-0000-4000-8000-000000000002",
  name: "web",
  image: "busybox",
  command: [],
  args: [],
  env: {},
  ports: [],
  volumes: [],
  secrets: [],
  cpuMillis: 500,
  memoryMiB: 256,
  replicas: instances.length,
  isolation: "container",
  hostSelector: {},
  desiredState: "running",
  generation: 1,
  createdAt: at,
  updatedAt: at,
  instances,
});
const host: Host = {
  id: "00000000-0000-4000-8000-000000000003",
  name: "h1",
  address: "10.0.0.1",
  labels: {},
  capacity: { cpuMillis: 4000, memoryMiB: 8192, maxInstances: 50 },
  reserved: { cpuMillis: 0, memoryMiB: 0, instances: 0 },
  draining: false,
  isolationLevels: ["container"],
  accelerator: null,
  guestKernel: null,
  status: "ready",
  cordoned: false,
  lastHeartbeatAt: at,
  instanceCount: 0,
  drain: null,
};

/** Runs the wait loop on a fake clock against a scripted sequence of deployment states. */
function run(states: Deployment[], hosts: HostsView, timeoutMs = 300_000) {
  let now = 0;
  let polls = 0;
  return {
    result: waitForRunning(
      {
        fetchDeployment: async () => states[Math.min(polls++, states.length - 1)] as Deployment,
        fetchHosts: async () => hosts,
        sleep: async (ms) => {
          now += ms;
        },
        now: () => now,
      },
      { timeoutMs },
    ),
    elapsed: () => now,
  };
}

describe("deploy --wait", () => {
  it("returns once every instance runs", async () => {
    const running = deployment([instance({ state: "running", endpoints: ["10.0.0.1:8080"] })]);
    const r = run([deployment([instance()]), deployment([instance({ state: "starting" })]), running], {
      kind: "forbidden",
    });
    expect(await r.result).toBe(running);
    expect(r.elapsed()).toBe(1000);
  });

  it("stops at once when an instance fails, with its reason", async () => {
    const failed = deployment([
      instance({ state: "running" }),
      instance({ ordinal: 1, state: "failed", reason: "image not found" }),
    ]);
    await expect(run([failed], { kind: "forbidden" }).result).rejects.toMatchObject({
      exitCode: 1,
      message: "instance 1 of web failed: image not found",
    });
  });

  it("gives up after 5 s of pending with exit 3 when hosts cannot be listed", async () => {
    const r = run([deployment([instance(), instance({ ordinal: 1 })])], { kind: "forbidden" });
    await expect(r.result).rejects.toMatchObject({ exitCode: 3, message: UNPLACEABLE });
    expect(r.elapsed()).toBe(5000);
  });

  it("adds the instances' reason", async () => {
    const reason = "no host can run this yet: no ready host offers the container level";
    const r = run([deployment([instance({ reason })])], { kind: "listed", hosts: [host] });
    await expect(r.result).rejects.toMatchObject({
      exitCode: 3,
      message: `${UNPLACEABLE}; reason: ${reason}`,
    });
  });

  it("exits 3 when the visible hosts cannot fit it, and keeps waiting when one can", async () => {
    const pending = [deployment([instance()])];
    await expect(
      run(pending, { kind: "listed", hosts: [{ ...host, cordoned: true }] }).result,
    ).rejects.toMatchObject({
      exitCode: 3,
    });
    const r = run(pending, { kind: "listed", hosts: [host] }, 20_000);
    await expect(r.result).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/^timed out after 20 s/),
    });
  });

  it("does not call it unplaceable while some instance got a host", async () => {
    const mixed = deployment([instance({ state: "scheduled", hostId: host.id }), instance({ ordinal: 1 })]);
    await expect(run([mixed], { kind: "forbidden" }, 8000).result).rejects.toMatchObject({ exitCode: 1 });
  });
});
