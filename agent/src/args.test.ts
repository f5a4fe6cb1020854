import { describe, expect, it } from "vitest";
import { defaultHostName, parseJoinArgs, parseRunArgs } from "./args";
import { readEnv } from "./env";
import { UsageError } from "./errors";

const defaults = { stateFile: "/var/lib/berth/agent.json" };
const token = "bjoin_abcdefghijklmnopqrstuvwxyz";

describe("join flags", () => {
  it("parses a full command line", () => {
    const a = parseJoinArgs(
      [
        "--server",
        "https://berth.example.com/",
        "--token",
        token,
        "--name",
        "n1",
        "--address",
        "10.0.0.5",
      ].concat(["--label", "zone=a", "--label", "disk=ssd=fast", "--state", "/tmp/a.json", "--sim"]),
      defaults,
    );
    expect(a).toEqual({
      server: "https://berth.example.com",
      token,
      name: "n1",
      address: "10.0.0.5",
      labels: { zone: "a", disk: "ssd=fast" },
      stateFile: "/tmp/a.json",
      sim: true,
    });
  });

  it("defaults the name, address, labels and state file", () => {
    const a = parseJoinArgs(["--server", "http://127.0.0.1:3000", "--token", token], defaults);
    expect(a.stateFile).toBe(defaults.stateFile);
    expect(a.name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,62}$/);
    expect(a.address).toBeUndefined();
    expect(a.labels).toEqual({});
  });

  it.each([
    [["--token", token], /--server is required/],
    [["--server", "http://x"], /--token is required/],
    [["--server", "not a url", "--token", token], /--server "not a url" is not a URL/],
    [["--server", "ftp://x", "--token", token], /--server .* must be an http/],
    [["--server", "http://u:p@x", "--token", token], /--server .* no credentials/],
    [["--server", "http://x", "--token", token, "--label", "nokey"], /--label "nokey" must be key=value/],
    [
      ["--server", "http://x", "--token", token, "--label", "a=1", "--label", "a=2"],
      /--label "a" is given twice/,
    ],
    [["--server", "http://x", "--token", token, "--bogus"], /Unknown option '--bogus'/],
    [["--server", "http://x", "--token", token, "extra"], /Unexpected argument 'extra'/],
    [["--server"], /--server/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseJoinArgs(argv, defaults)).toThrow(UsageError);
    expect(() => parseJoinArgs(argv, defaults)).toThrow(message);
  });

  it("reduces an odd host name to a valid one", () => {
    expect(defaultHostName("my_box (1)")).toBe("my-box--1-");
    expect(defaultHostName("__")).toBe("host");
    expect(defaultHostName("a".repeat(80))).toHaveLength(63);
  });
});

describe("run flags", () => {
  it("parses sim options", () => {
    expect(parseRunArgs(["--sim", "--sim-delay-ms", "0", "--state", "/s"], defaults)).toEqual({
      stateFile: "/s",
      sim: true,
      simDelayMs: 0,
      waitForJoin: false,
    });
    expect(parseRunArgs([], defaults)).toEqual({
      stateFile: defaults.stateFile,
      sim: false,
      simDelayMs: undefined,
      waitForJoin: false,
    });
  });

  it.each([
    [["--sim-delay-ms", "5"], /--sim-delay-ms needs --sim/],
    [["--sim", "--sim-delay-ms=-1"], /--sim-delay-ms "-1" must be a whole number/],
    [["--sim", "--sim-delay-ms", "1.5"], /must be a whole number/],
    [["--sim", "--sim-delay-ms", "999999"], /0 to 600000/],
    [["--sims"], /Unknown option '--sims'/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseRunArgs(argv, defaults)).toThrow(message);
  });
});

describe("environment", () => {
  it("has defaults and takes overrides", () => {
    expect(readEnv({})).toMatchObject({
      stateFile: "/var/lib/berth/agent.json",
      maxInstances: 100,
      kvmProbe: undefined,
    });
    const e = readEnv({
      BERTH_AGENT_STATE: "/tmp/s.json",
      BERTH_AGENT_MAX_INSTANCES: "7",
      BERTH_AGENT_KVM_PROBE_KERNEL: "/boot/vmlinuz",
      BERTH_AGENT_LOG_LEVEL: "",
    });
    expect(e).toMatchObject({ stateFile: "/tmp/s.json", maxInstances: 7, logLevel: "info" });
    expect(e.kvmProbe).toEqual({ kernel: "/boot/vmlinuz", initrd: undefined, timeoutMs: 5000 });
  });

  it("reads the disk sweep's policy, with a low mark below the high one", () => {
    expect(readEnv({}).gc).toEqual({
      intervalMs: 3_600_000,
      unusedMs: 7 * 86_400_000,
      minAgeMs: 600_000,
      highPct: 85,
      lowPct: 80,
    });
    expect(readEnv({ BERTH_AGENT_GC_INTERVAL_S: "0", BERTH_AGENT_GC_HIGH_PCT: "95" }).gc).toMatchObject({
      intervalMs: 0,
      highPct: 95,
    });
    expect(() => readEnv({ BERTH_AGENT_GC_LOW_PCT: "90" })).toThrow(
      /BERTH_AGENT_GC_LOW_PCT \(90\) must be below/,
    );
    expect(() => readEnv({ BERTH_AGENT_GC_UNUSED_AGE_S: "5" })).toThrow(/BERTH_AGENT_GC_UNUSED_AGE_S/);
  });

  it("names the variable that is wrong", () => {
    expect(() => readEnv({ BERTH_AGENT_MAX_INSTANCES: "lots" })).toThrow(/BERTH_AGENT_MAX_INSTANCES/);
    expect(() => readEnv({ BERTH_AGENT_LOG_LEVEL: "loud" })).toThrow(/BERTH_AGENT_LOG_LEVEL/);
  });
});
