import { randomUUID } from "node:crypto";
import type { InstanceReport, InstanceSpecDto } from "@berth/contracts";
import { type Job, UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import type { Driver, InstanceSpec, InstanceStatus } from "./driver";
import { SimDriver } from "./drivers/sim";
import { specFixture } from "./fixtures";
import type { ControlPlane } from "./http";
import { createProcessor } from "./jobs";
import { silentLog } from "./log";

type Decision = "apply" | "duplicate" | "stale" | "invalid";

/** A control plane in memory: the spec it serves and the reports it receives, in order. */
function fakeControlPlane(
  spec: InstanceSpecDto | null,
  decide: (r: InstanceReport) => Decision = () => "apply",
) {
  const reports: InstanceReport[] = [];
  const cp = {
    instance: async () => spec,
    report: async (r: InstanceReport) => {
      reports.push(r);
      return decide(r);
    },
  } as unknown as ControlPlane;
  return { cp, reports, states: () => reports.map((r) => r.state) };
}

const specOf = (generation = 1): InstanceSpecDto => specFixture({ generation });

const job = (data: unknown) => ({ id: "j", data }) as Job;

describe("host job processor", () => {
  it("starts: starting, then running with the driver's endpoints", async () => {
    const spec = specOf();
    const f = fakeControlPlane(spec);
    const driver = new SimDriver({ hostId: "h", startDelayMs: 0 });
    const run = createProcessor({ driver, cp: f.cp, log: silentLog });
    expect(await run(job({ kind: "start", instanceId: spec.instanceId, generation: 1 }))).toBe("running");
    expect(f.reports).toEqual([
      { instanceId: spec.instanceId, generation: 1, state: "starting" },
      {
        instanceId: spec.instanceId,
        generation: 1,
        state: "running",
        endpoints: [`sim://h/${spec.instanceId}`],
      },
    ]);
    // Redelivered: one idempotent report, nothing launched twice.
    expect(await run(job({ kind: "start", instanceId: spec.instanceId, generation: 1 }))).toBe("running");
    expect(f.states()).toEqual(["starting", "running", "running"]);
  });

  it("stops: stopping, then stopped, and skips a stop older than what runs", async () => {
    const spec = specOf(2);
    const f = fakeControlPlane(spec);
    const driver = new SimDriver({ hostId: "h", startDelayMs: 0 });
    const run = createProcessor({ driver, cp: f.cp, log: silentLog });
    await run(job({ kind: "start", instanceId: spec.instanceId, generation: 2 }));
    expect(await run(job({ kind: "stop", instanceId: spec.instanceId, generation: 1 }))).toBe("stale");
    expect(await run(job({ kind: "stop", instanceId: spec.instanceId, generation: 2, graceMs: 0 }))).toBe(
      "stopped",
    );
    expect(f.states()).toEqual(["starting", "running", "stopping", "stopped"]);
    expect(await driver.list()).toEqual([]);
  });

  it("launches nothing for an unassigned instance, another generation, or a refused `starting`", async () => {
    const driver = new SimDriver({ hostId: "h", startDelayMs: 0 });
    const none = fakeControlPlane(null);
    const id = randomUUID();
    expect(
      await createProcessor({ driver, cp: none.cp, log: silentLog })(
        job({ kind: "start", instanceId: id, generation: 1 }),
      ),
    ).toBe("not-assigned");
    const newer = specOf(3);
    const stale = fakeControlPlane(newer);
    expect(
      await createProcessor({ driver, cp: stale.cp, log: silentLog })(
        job({ kind: "start", instanceId: newer.instanceId, generation: 2 }),
      ),
    ).toBe("stale");
    const refused = fakeControlPlane(specOf(), () => "invalid");
    const spec = await refused.cp.instance("");
    expect(
      await createProcessor({ driver, cp: refused.cp, log: silentLog })(
        job({ kind: "start", instanceId: spec?.instanceId, generation: 1 }),
      ),
    ).toBe("invalid");
    expect(await driver.list()).toEqual([]);
    expect(none.reports).toEqual([]);
  });

  it("reports a driver's failure with its reason and completes the job", async () => {
    const spec = specOf();
    const f = fakeControlPlane(spec);
    const broken = {
      ...new SimDriver({ hostId: "h" }),
      levels: ["container"],
      sim: false,
      prepare: async () => {},
      start: async (): Promise<InstanceStatus> => {
        throw new Error("runc: exec format error");
      },
      inspect: async () => null,
    } as unknown as Driver;
    const run = createProcessor({ driver: broken, cp: f.cp, log: silentLog });
    expect(await run(job({ kind: "start", instanceId: spec.instanceId, generation: 1 }))).toBe("failed");
    expect(f.reports.at(-1)).toEqual({
      instanceId: spec.instanceId,
      generation: 1,
      state: "failed",
      reason: "start: runc: exec format error",
    });
  });

  it("stops what the control plane no longer wants once it runs", async () => {
    const spec = specOf();
    const f = fakeControlPlane(spec, (r) => (r.state === "running" ? "invalid" : "apply"));
    const driver = new SimDriver({ hostId: "h", startDelayMs: 0 });
    const run = createProcessor({ driver, cp: f.cp, log: silentLog });
    expect(await run(job({ kind: "start", instanceId: spec.instanceId, generation: 1 }))).toBe("unwanted");
    expect(f.states()).toEqual(["starting", "running", "stopped"]);
    expect(await driver.list()).toEqual([]);
  });

  it("fails an invalid payload as unrecoverable, naming the field", async () => {
    const run = createProcessor({
      driver: new SimDriver({ hostId: "h" }),
      cp: fakeControlPlane(null).cp,
      log: silentLog,
    });
    const err = await run(job({ kind: "start", instanceId: "x", generation: 1 })).catch((e) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(err.message).toMatch(/instanceId: must be a UUID/);
    await expect(run(job({ kind: "reboot" }))).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it("lets the spec reach the driver unchanged", async () => {
    const spec = specOf();
    let seen: InstanceSpec | undefined;
    const driver = new SimDriver({ hostId: "h", startDelayMs: 0 });
    const orig = driver.prepare.bind(driver);
    driver.prepare = async (s) => {
      seen = s;
      return orig(s);
    };
    await createProcessor({ driver, cp: fakeControlPlane(spec).cp, log: silentLog })(
      job({ kind: "start", instanceId: spec.instanceId, generation: 1 }),
    );
    expect(seen).toEqual(spec);
  });
});
