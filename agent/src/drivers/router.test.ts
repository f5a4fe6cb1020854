import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Driver, InstanceSpec } from "../driver";
import { specFixture } from "../fixtures";
import { LevelRouter } from "./router";
import { SimDriver } from "./sim";

const spec = (isolation: InstanceSpec["isolation"]): InstanceSpec => specFixture({ isolation });

/** A sim that claims one level, standing in for a real driver. */
const onlyLevel = (level: InstanceSpec["isolation"]): Driver =>
  Object.assign(new SimDriver({ hostId: level, startDelayMs: 0 }), { levels: [level], sim: false });

describe("level router (the real agent's driver)", () => {
  it("offers nothing without drivers, and says why a start fails", async () => {
    const r = new LevelRouter([]);
    expect(r.levels).toEqual([]);
    expect(r.sim).toBe(false);
    await expect(r.start(spec("container"))).rejects.toThrow(
      'this agent has no driver for isolation level "container"',
    );
    expect(await r.list()).toEqual([]);
    expect((await r.stop(randomUUID(), 0)).state).toBe("stopped");
  });

  it("hands each instance to the driver of its level and finds it again", async () => {
    const r = new LevelRouter([onlyLevel("container"), onlyLevel("microvm")]);
    expect(r.levels).toEqual(["container", "microvm"]);
    const vm = spec("microvm");
    expect((await r.start(vm)).endpoints).toEqual([`sim://microvm/${vm.instanceId}`]);
    expect((await r.inspect(vm.instanceId))?.state).toBe("running");
    await expect(r.start(spec("unikernel"))).rejects.toThrow(/unikernel/);
    await r.stop(vm.instanceId, 0);
    expect(await r.list()).toEqual([]);
  });
});
