import { instanceStates } from "@berth/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canTransition, decideReport, type InstanceState, terminalStates } from "./instance-state";

describe("instance state machine", () => {
  it("follows the happy path", () => {
    const path: InstanceState[] = ["pending", "scheduled", "starting", "running", "stopping", "stopped"];
    for (let i = 1; i < path.length; i++)
      expect(canTransition(path[i - 1] as InstanceState, path[i] as InstanceState)).toBe(true);
  });

  it("never leaves a terminal state except back to pending", () => {
    for (const from of terminalStates) {
      for (const to of instanceStates) {
        if (to !== from && to !== "pending") expect(canTransition(from, to)).toBe(false);
      }
    }
  });

  it("cannot run without being scheduled and started", () => {
    expect(canTransition("pending", "running")).toBe(false);
    expect(canTransition("scheduled", "running")).toBe(false);
  });

  it("treats a repeated report as a duplicate and an old generation as stale, for any state", () => {
    const state = fc.constantFrom(...instanceStates);
    fc.assert(
      fc.property(state, state, fc.integer({ min: 1, max: 100 }), (cur, rep, gen) => {
        expect(
          decideReport({ state: cur, generation: gen }, { instanceId: "i", generation: gen, state: cur }),
        ).toBe("duplicate");
        expect(
          decideReport({ state: cur, generation: gen + 1 }, { instanceId: "i", generation: gen, state: rep }),
        ).toBe("stale");
      }),
    );
  });

  it("refuses an impossible transition", () => {
    expect(
      decideReport({ state: "stopped", generation: 1 }, { instanceId: "i", generation: 1, state: "running" }),
    ).toBe("invalid");
  });
});
