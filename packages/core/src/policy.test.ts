import { ukEnvBudgetBytes, ukEnvBytes, ukEnvToken } from "@berth/contracts";
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

  it("refuses a command or args at the unikernel level only, naming the field", () => {
    expect(unsupportedAtLevel("unikernel", { command: ["/bin/app"] })).toMatch(
      /^command: a unikernel runs the one program linked into it; /,
    );
    expect(unsupportedAtLevel("unikernel", { command: [], args: ["--port", "80"] })).toMatch(/^args: /);
    expect(unsupportedAtLevel("unikernel", { command: [], args: [] })).toBeNull();
    expect(unsupportedAtLevel("microvm", { command: ["/bin/app"], args: ["x"] })).toBeNull();
    expect(unsupportedAtLevel("container", { command: ["/bin/app"], env: { A: '"\n' } })).toBeNull();
  });

  it("lets through an env the kernel command line carries: printable ASCII, quotes and backslashes escaped", () => {
    const env = {
      GREETING: "hi there",
      Q: 'say "hi" \\o/',
      EMPTY: "",
      TILDE: " ~!#$%&'()*+,-./:;<=>?@[]^_`{|}",
    };
    expect(unsupportedAtLevel("unikernel", { env })).toBeNull();
    expect(ukEnvToken("Q", 'a "b" \\c')).toBe('env.Q="a \\"b\\" \\\\c"');
    expect(ukEnvBytes({ A: "1", BC: "x y" })).toBe(' env.A="1"'.length + ' env.BC="x y"'.length);
  });

  it("names the variable and the reason for a value the command line cannot carry", () => {
    const at = (env: Record<string, string>) => unsupportedAtLevel("unikernel", { env });
    expect(at({ OK: "x", LINE: "a\nb" })).toBe(
      "env.LINE: has a control character (U+000A) at position 1; a unikernel's environment travels on its kernel command line, which carries printable ASCII only (space to ~)",
    );
    expect(at({ T: "\t" })).toMatch(/^env\.T: has a control character \(U\+0009\) at position 0;/);
    expect(at({ D: "x\u007f" })).toMatch(/^env\.D: has a control character \(U\+007F\)/);
    expect(at({ N: "\u0000" })).toMatch(/^env\.N: has a control character \(U\+0000\)/);
    expect(at({ CAFE: "caf\u00e9" })).toMatch(
      /^env\.CAFE: has a non-ASCII character \(U\+00E9\) at position 3;/,
    );
    expect(at({ E: "\u{1F600}" })).toMatch(/^env\.E: has a non-ASCII character \(U\+1F600\)/);
    expect(at({ BIG: "v".repeat(1024) })).toBeNull();
    expect(at({ BIG: "v".repeat(1025) })).toBe(
      "env.BIG: is 1025 bytes; a unikernel's library OS keeps values of at most 1024 bytes",
    );
  });

  it("refuses an env over the command line's budget as a whole, naming env and the bytes kept", () => {
    // Two values of 700 bytes fit one by one, not together (each token is ' env.An="…"').
    const two = { A1: "v".repeat(700), A2: "v".repeat(700) };
    expect(ukEnvBytes(two)).toBe(2 * (1 + 'env.A1=""'.length + 700));
    const env = { ...two, A3: "v".repeat(1536 - ukEnvBytes(two) - ' env.A3=""'.length) };
    expect(ukEnvBytes(env)).toBe(ukEnvBudgetBytes);
    expect(unsupportedAtLevel("unikernel", { env })).toBeNull();
    const over = { ...env, A3: `${env.A3}"` }; // one escaped quote: two bytes more
    expect(unsupportedAtLevel("unikernel", { env: over })).toBe(
      `env: takes 1538 bytes of the unikernel's kernel command line as env.NAME="value" tokens, over the 1536 it may: the line is 2048 bytes and 512 are kept for the network and device parameters (netdev.ip=, virtio_mmio.device=) and the artifact's own`,
    );
    expect(unsupportedAtLevel("microvm", { env: over })).toBeNull();
  });
});
