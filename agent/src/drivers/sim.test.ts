import { describe, expect, it } from "vitest";
import type { InstanceSpec } from "../driver";
import { specFixture } from "../fixtures";
import { SimDriver } from "./sim";

const spec = (over: Partial<InstanceSpec> = {}): InstanceSpec =>
  specFixture({ isolation: "microvm", ...over });

describe("sim driver", () => {
  it("offers every level but is marked sim", () => {
    const d = new SimDriver({ hostId: "h" });
    expect([...d.levels]).toEqual(["container", "microvm", "unikernel"]);
    expect(d.sim).toBe(true);
  });

  it("runs after the configured delay with a sim:// endpoint, and lists it", async () => {
    const d = new SimDriver({ hostId: "h1", startDelayMs: 120 });
    const s = spec();
    const t0 = Date.now();
    const started = d.start(s);
    expect((await d.inspect(s.instanceId))?.state).toBe("starting");
    const status = await started;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(status).toEqual({
      instanceId: s.instanceId,
      generation: 1,
      state: "running",
      endpoints: [`sim://h1/${s.instanceId}`],
    });
    expect(await d.list()).toEqual([status]);
    // Redelivered start: same answer, no second delay.
    const t1 = Date.now();
    expect(await d.start(s)).toEqual(status);
    expect(Date.now() - t1).toBeLessThan(100);
  });

  it("forgets what it stops; a stop during the start wins", async () => {
    const d = new SimDriver({ hostId: "h", startDelayMs: 50 });
    const a = spec();
    await d.start(a);
    expect((await d.stop(a.instanceId, 0)).state).toBe("stopped");
    expect(await d.inspect(a.instanceId)).toBeNull();
    const b = spec({ generation: 3 });
    const starting = d.start(b);
    await d.stop(b.instanceId, 0);
    expect(await starting).toMatchObject({ state: "stopped", generation: 3 });
    expect(await d.list()).toEqual([]);
  });

  it("yields no logs", async () => {
    const d = new SimDriver({ hostId: "h", startDelayMs: 0 });
    const lines: string[] = [];
    for await (const l of d.logs("x", { follow: true })) lines.push(l);
    expect(lines).toEqual([]);
  });
});
