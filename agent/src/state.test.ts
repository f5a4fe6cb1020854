import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentState, readState, writeState } from "./state";

let dir: string;
const state: AgentState = {
  version: 1,
  server: "http://127.0.0.1:3000",
  hostId: "3f2b8f5e-9c1a-4d7e-8b7a-2f0e6c1d9a11",
  hostToken: "bhost_secret",
  redis: { url: "redis://127.0.0.1:6379/0", username: "berth-host-x", password: "pw" },
  queue: { prefix: "berth", name: "host-3f2b8f5e-9c1a-4d7e-8b7a-2f0e6c1d9a11" },
  heartbeatIntervalMs: 5000,
  sim: false,
  joinedAt: new Date().toISOString(),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-state-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe("state file", () => {
  it("is written 0600 in a new 0700 directory, and reads back", async () => {
    const file = join(dir, "new", "deeper", "agent.json");
    await writeState(file, state);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(join(dir, "new", "deeper"))).toBe(0o700);
    expect(await readState(file)).toEqual(state);
  });

  it("leaves an existing directory's mode alone", async () => {
    const shared = join(dir, "shared");
    await mkdir(shared, { mode: 0o755 });
    await chmod(shared, 0o755);
    await writeState(join(shared, "agent.json"), state);
    expect(await mode(shared)).toBe(0o755);
    expect(await mode(join(shared, "agent.json"))).toBe(0o600);
  });

  it("replaces atomically: no temporary file left, the old content survives a refused write", async () => {
    const sub = join(dir, "atomic");
    const file = join(sub, "agent.json");
    await writeState(file, state);
    await writeState(file, { ...state, hostToken: "bhost_second" });
    expect((await readState(file)).hostToken).toBe("bhost_second");
    await expect(writeState(file, { ...state, hostId: "not-a-uuid" })).rejects.toThrow();
    expect((await readState(file)).hostToken).toBe("bhost_second");
    expect(await readdir(sub)).toEqual(["agent.json"]);
  });

  it("refuses a file others can read, naming the fix", async () => {
    const file = join(dir, "loose.json");
    await writeFile(file, JSON.stringify(state), { mode: 0o644 });
    await chmod(file, 0o644);
    await expect(readState(file)).rejects.toThrow(/readable by others.*chmod 600/);
  });

  it("names the missing file, bad JSON and the invalid field", async () => {
    await expect(readState(join(dir, "absent.json"))).rejects.toThrow(/no state file .*berth-agent join/);
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{", { mode: 0o600 });
    await expect(readState(bad)).rejects.toThrow(/not JSON/);
    await writeFile(bad, JSON.stringify({ ...state, redis: { url: "x" } }), { mode: 0o600 });
    await expect(readState(bad)).rejects.toThrow(/redis\.username/);
    expect(await readFile(bad, "utf8")).toContain("redis");
  });
});
