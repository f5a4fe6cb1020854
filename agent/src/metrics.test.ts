import { randomUUID } from "node:crypto";
import { heartbeatRequest } from "@berth/contracts";
import { describe, expect, it } from "vitest";
import { Agent } from "./agent";
import type { Driver, InstanceSpec, InstanceUsage } from "./driver";
import { LevelRouter } from "./drivers/router";
import { SimDriver } from "./drivers/sim";
import { specFixture } from "./fixtures";
import type { HostInfo } from "./host-info";
import { silentLog } from "./log";
import { MetricsSampler } from "./metrics";
import type { AgentState } from "./state";

const spec = (): InstanceSpec => specFixture();

const host: HostInfo = {
  capacity: { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 },
  capabilities: {
    isolationLevels: ["container"],
    accelerator: null,
    guestKernel: null,
    ociRuntime: null,
    cgroup: "v1",
    sim: false,
  },
};
const state: AgentState = {
  version: 1,
  server: "http://127.0.0.1:1",
  hostId: randomUUID(),
  hostToken: "bhost_x",
  redis: { url: "redis://127.0.0.1:1/0", username: "u", password: "p" },
  queue: { prefix: "p", name: "q" },
  heartbeatIntervalMs: 5000,
  sim: false,
  joinedAt: new Date().toISOString(),
};

/** A "real" driver: the sim's lifecycle plus cgroup usage that the test sets per instance. */
function measuring() {
  const usage = new Map<string, InstanceUsage>();
  const calls: string[] = [];
  const driver: Driver = Object.assign(new SimDriver({ hostId: "m", startDelayMs: 0 }), {
    levels: ["container"] as const,
    sim: false,
    metrics: async (id: string) => {
      calls.push(id);
      return usage.get(id) ?? null;
    },
  });
  return { driver, usage, calls };
}

// cgroup v1's memory.limit_in_bytes without a limit (9223372036854771712, as a double)
const unlimited = Number(9223372036854771712n);
const sample = (cpuNs: number): InstanceUsage => ({
  cpuNs,
  memoryBytes: 5_000_000,
  memoryLimitBytes: 64 * 1024 * 1024,
  pids: 2,
  pidsLimit: 512,
});

describe("heartbeat metrics", () => {
  it("a heartbeat body carries each running instance's metrics from a driver that has them", async () => {
    const { driver, usage } = measuring();
    const s = spec();
    await driver.start(s);
    usage.set(s.instanceId, sample(2_500_000_000));
    const agent = new Agent({ state, driver: new LevelRouter([driver]), log: silentLog, host });
    const body = heartbeatRequest.parse(await agent.heartbeatBody());
    expect(body.instances).toEqual([
      {
        instanceId: s.instanceId,
        generation: 1,
        state: "running",
        endpoints: [`sim://m/${s.instanceId}`],
        metrics: {
          cpuMs: 2500,
          cpuPercent: null,
          memoryBytes: 5_000_000,
          memoryLimitBytes: 64 * 1024 * 1024,
          pids: 2,
          pidsLimit: 512,
        },
      },
    ]);
  });

  it("none for sim agents, and the sim driver is never asked", async () => {
    const sim = new SimDriver({ hostId: "s", startDelayMs: 0 });
    await sim.start(spec());
    const agent = new Agent({ state: { ...state, sim: true }, driver: sim, log: silentLog, host });
    const body = await agent.heartbeatBody();
    expect(body.instances).toHaveLength(1);
    expect(body.instances[0]).not.toHaveProperty("metrics");
    // a sim standing in for a real driver that claims to measure is still not asked
    const { driver, calls } = measuring();
    await driver.start(spec());
    const asSim = Object.assign(driver, { sim: true });
    expect(new MetricsSampler(asSim).enabled).toBe(false);
    expect((await new MetricsSampler(asSim).reports(await asSim.list()))[0]).not.toHaveProperty("metrics");
    expect(calls).toEqual([]);
  });

  it("cpu percent over the time between two heartbeats; unlimited limits as null; bad readings left out", async () => {
    const { driver, usage, calls } = measuring();
    const a = spec();
    const b = spec();
    await driver.start(a);
    let now = 0n;
    const sampler = new MetricsSampler(driver, () => now);
    usage.set(a.instanceId, { ...sample(1_000_000_000), memoryLimitBytes: unlimited, pidsLimit: Infinity });
    const first = await sampler.reports(await driver.list());
    expect(first[0]?.metrics).toMatchObject({ cpuPercent: null, memoryLimitBytes: null, pidsLimit: null });

    now += 2_000_000_000n; // 2 s later, 0.5 s of cpu more: a quarter of one core
    usage.set(a.instanceId, sample(1_500_000_000));
    expect((await sampler.reports(await driver.list()))[0]?.metrics?.cpuPercent).toBe(25);
    // a restart's new cgroup counts from zero again: no percent rather than a negative one
    now += 1_000_000_000n;
    usage.set(a.instanceId, sample(10));
    expect((await sampler.reports(await driver.list()))[0]?.metrics?.cpuPercent).toBeNull();

    // a value out of the contract's bounds would cost the whole heartbeat a 400: no metrics instead
    usage.set(a.instanceId, { ...sample(1), memoryBytes: Number.NaN });
    const bad = await sampler.reports(await driver.list());
    expect(bad[0]).toMatchObject({ instanceId: a.instanceId, state: "running" });
    expect(bad[0]).not.toHaveProperty("metrics");
    // only running instances are measured
    usage.set(b.instanceId, sample(1));
    const exited = {
      instanceId: b.instanceId,
      generation: 1,
      state: "exited" as const,
      exitCode: 0,
      endpoints: [],
    };
    expect((await sampler.reports([exited]))[0]).toEqual({ ...exited, endpoints: undefined });
    expect(new Set(calls)).toEqual(new Set([a.instanceId]));
  });
});
