// Heartbeat metrics from a real container: runc, its cgroup (v1 here, v2 on unified hosts), the
// agent's sampler turning two readings into a cpu percent.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import { join } from "node:path";
import { heartbeatRequest } from "@berth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerDriver } from "./drivers/container/driver";
import {
  busyboxLayer,
  instanceSpec,
  LayerImages,
  NetnsNetwork,
  requireHostTools,
  tempDir,
} from "./drivers/container/testkit";
import { LevelRouter } from "./drivers/router";
import { createLog } from "./log";
import { MetricsSampler } from "./metrics";

let data: string;
let driver: ContainerDriver;
const network = new NetnsNetwork();
const id = randomUUID();

beforeAll(async () => {
  requireHostTools();
  data = await tempDir("berth-metrics-");
  await chmod(data, 0o711);
  driver = new ContainerDriver({
    dataDir: join(data, "agent"),
    images: new LayerImages([await busyboxLayer(join(data, "layer0"))]),
    network,
    log: createLog({ level: "warn" }),
  });
});

afterAll(async () => {
  await driver?.stop(id, 0).catch(() => {});
  for (const name of network.names) execFileSync("ip", ["netns", "del", name]);
  if (data && !readFileSync("/proc/self/mountinfo", "utf8").includes(data))
    await rm(data, { recursive: true, force: true });
});

describe("heartbeat metrics of a container", () => {
  it("reports a busy loop's cpu within its quota, its memory and pids with their limits", async () => {
    // half a core (cpuMillis 500), 64 MiB
    const spec = instanceSpec({
      instanceId: id,
      tenantId: randomUUID(),
      command: ["sh", "-c", "while :; do :; done"],
    });
    expect((await driver.start(spec)).state).toBe("running");
    const sampler = new MetricsSampler(new LevelRouter([driver]));
    expect(sampler.enabled).toBe(true);
    const first = (await sampler.reports(await driver.list())).find((r) => r.instanceId === id);
    expect(first?.metrics).toMatchObject({ cpuPercent: null, memoryLimitBytes: 64 * 1024 * 1024 });
    await new Promise((r) => setTimeout(r, 1500));
    const body = heartbeatRequest.parse({
      capacity: { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 },
      capabilities: {
        isolationLevels: ["container"],
        accelerator: null,
        guestKernel: null,
        ociRuntime: null,
        cgroup: "v1",
      },
      instances: await sampler.reports(await driver.list()),
    });
    const m = body.instances.find((r) => r.instanceId === id)?.metrics;
    expect(m?.cpuPercent).toBeGreaterThan(30);
    expect(m?.cpuPercent).toBeLessThan(50 * 1.15);
    expect(m?.cpuMs).toBeGreaterThan(first?.metrics?.cpuMs ?? 0);
    expect(m?.memoryBytes).toBeGreaterThan(0);
    expect(m?.memoryBytes).toBeLessThan(64 * 1024 * 1024);
    expect(m?.pids).toBeGreaterThanOrEqual(2); // tini and sh
    expect(m?.pidsLimit).toBeGreaterThan(0);

    // stopped: measured no more
    await driver.stop(id, 0);
    const after = (await sampler.reports(await driver.list())).find((r) => r.instanceId === id);
    expect(after?.metrics).toBeUndefined();
  });
});
