import { describe, expect, it } from "vitest";
import { quotaExceeded, resolveIsolation, unsupportedAtLevel } from "./policy";
import { canAssignRole, roleAtLeast, tokenRole } from "./roles";

describe("isolation policy", () => {
  const policy = { default: "container", allowed: ["container", "microvm"] } as const;
  it("uses the default level when none is asked", () => {
    expect(resolveIsolation(policy, undefined)).toEqual({ ok: true, level: "container" });
  });
  it("refuses a level outside the allowed set and names it", () => {
    const r = resolveIsolation(policy, "unikernel");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^isolation: .*unikernel/);
  });
});

describe("quota", () => {
  const quota = { cpuMillis: 1000, memoryMiB: 1024, instances: 4 };
  it("fits exactly at the limit", () => {
    expect(
      quotaExceeded(
        { cpuMillis: 500, memoryMiB: 512, instances: 2 },
        { cpuMillis: 500, memoryMiB: 512, instances: 2 },
        quota,
      ),
    ).toBeNull();
  });
  it("names the resource over the limit", () => {
    expect(
      quotaExceeded(
        { cpuMillis: 0, memoryMiB: 1000, instances: 0 },
        { cpuMillis: 10, memoryMiB: 100, instances: 1 },
        quota,
      ),
    ).toMatch(/^memoryMiB:/);
  });
});

describe("roles", () => {
  it("orders roles", () => {
    expect(roleAtLeast("admin", "member")).toBe(true);
    expect(roleAtLeast("viewer", "member")).toBe(false);
  });
  it("caps read-only tokens at viewer", () => {
    expect(tokenRole("owner", ["read"])).toBe("viewer");
    expect(tokenRole("admin", ["read", "write"])).toBe("admin");
  });
  it("lets only owners touch ownership", () => {
    expect(canAssignRole("admin", "member", "owner")).toBe(false);
    expect(canAssignRole("admin", "owner", "member")).toBe(false);
    expect(canAssignRole("owner", "member", "owner")).toBe(true);
    expect(canAssignRole("admin", "viewer", "member")).toBe(true);
    expect(canAssignRole("member", "viewer", "member")).toBe(false);
  });
});

describe("what a level cannot run", () => {
  it("refuses volumes at the virtual machine levels, secrets at the unikernel level only", () => {
    expect(unsupportedAtLevel("container", { volumes: [{}], secretNames: ["TOKEN"] })).toBeNull();
    expect(unsupportedAtLevel("microvm", { volumes: [{}] })).toMatch(/^volumes: /);
    expect(unsupportedAtLevel("microvm", { secretNames: ["TOKEN"] })).toBeNull();
    expect(unsupportedAtLevel("unikernel", { secretNames: ["TOKEN"] })).toMatch(/^secrets\.TOKEN: /);
    expect(unsupportedAtLevel("unikernel", { secretNames: [] })).toBeNull();
  });
});
