// The real binary as a child process: exit codes and one-line errors.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../bin/berth-agent.mjs", import.meta.url));
let dir: string;

function agent(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        env: {
          NODE_ENV: "test",
          PATH: process.env.PATH ?? "",
          BERTH_AGENT_STATE: join(dir, "agent.json"),
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-agent-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("berth-agent", () => {
  it("prints its usage", async () => {
    const r = await agent(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/berth-agent join --server URL --token JOIN_TOKEN/);
    expect((await agent([])).code).toBe(2);
  });

  it("exits 2 with one line naming the flag or variable", async () => {
    const [noServer, shortToken, env, unknown] = await Promise.all([
      agent(["join", "--token", "bjoin_abcdefghijklmnopqrstuvwxyz"]),
      agent(["join", "--server", "http://127.0.0.1:9", "--token", "short"]),
      agent(["run"], { BERTH_AGENT_CONCURRENCY: "0" }),
      agent(["launch"]),
    ]);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toBe(
      "berth-agent: error: --server is required (the control plane's URL, e.g. https://berth.example.com)\n",
    );
    expect(shortToken.code).toBe(2);
    expect(shortToken.stderr).toMatch(/--token: .*>=20/);
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/BERTH_AGENT_CONCURRENCY/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "launch"/);
  });

  it("refuses to run before a join", async () => {
    const r = await agent(["run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no state file at .*agent\.json: run `berth-agent join` first/);
  });

  it("with --wait-for-join waits for a join instead of failing (npm start), and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "run", "--wait-for-join"], {
      env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", BERTH_AGENT_STATE: join(dir, "later.json") },
    });
    let log = "";
    child.stderr.on("data", (c) => {
      log += c;
    });
    const deadline = Date.now() + 30_000;
    while (!log.includes("not joined yet") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(log).toMatch(/not joined yet: waiting for .*later\.json/);
    child.kill("SIGTERM");
    expect(await new Promise((r) => child.on("exit", r))).toBe(0);
  });
});
