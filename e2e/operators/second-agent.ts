// A second real node agent on this machine, enrolled with the command the hosts page shows. It
// keeps apart from the stack's own agent (10.87.0.0/16, ports 30000-30999) in everything a host
// owns: state file, data directory, tenant network pool and published ports.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export type SecondAgent = { name: string; log: string; stop(): Promise<void> };

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((res, rej) => {
    child.on("error", rej);
    child.on("exit", (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
}

/** `berth-agent join --server URL --token T` → its arguments, checked to be exactly that. */
export function parseJoinCommand(command: string): string[] {
  const m = /^berth-agent join --server (https?:\/\/\S+) --token (bjoin_[\w-]+)$/.exec(command.trim());
  if (!m) throw new Error(`not the join command this test knows: ${command}`);
  return ["join", "--server", m[1] ?? "", "--token", m[2] ?? ""];
}

export async function startSecondAgent(command: string, name: string): Promise<SecondAgent> {
  // The data dir must be searchable by the tenants' mapped users (mkdtemp makes it 0700).
  const dir = mkdtempSync(join(tmpdir(), "berth-e2e-agent2-"));
  chmodSync(dir, 0o711);
  const env = {
    ...process.env,
    BERTH_AGENT_STATE: join(dir, "state.json"),
    BERTH_AGENT_DATA: join(dir, "data"),
    BERTH_AGENT_ADDRESS: "127.0.0.1",
    BERTH_AGENT_SUBNET: "10.86.0.0/16",
    BERTH_AGENT_PORTS: "31000-31999",
  };
  const log = join(dir, "agent.log");
  const out = createWriteStream(log);
  const agentBin = "agent/bin/berth-agent.mjs";
  // `berth-agent` is the installed binary's name; here it is the repository's entry point.
  const join_ = spawn("node", [agentBin, ...parseJoinCommand(command), "--name", name], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  join_.stdout?.pipe(out, { end: false });
  join_.stderr?.pipe(out, { end: false });
  const joined = await exitOf(join_);
  if (joined !== 0) throw new Error(`the second agent could not join (exit ${joined}); log: ${log}`);
  const agent = spawn("node", [agentBin, "run"], {
    cwd: root,
    env,
    detached: true, // its own process group, stopped as one
    stdio: ["ignore", "pipe", "pipe"],
  });
  agent.stdout?.pipe(out);
  agent.stderr?.pipe(out);
  const exited = exitOf(agent);

  async function stop() {
    if (agent.exitCode === null && agent.pid) {
      try {
        process.kill(-agent.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          if (agent.pid) process.kill(-agent.pid, "SIGKILL");
        } catch {}
      }, 5000);
      await exited.catch(() => 0);
      clearTimeout(timer);
    }
    // Containers outlive their agent by design (adoption): remove what it left, as run.mjs does.
    if (existsSync(join(dir, "data"))) {
      const reset = spawn(
        join(root, "node_modules/.bin/tsx"),
        ["e2e/support/agent-reset.ts", join(dir, "data")],
        { cwd: root, env, stdio: "inherit" },
      );
      await exitOf(reset);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { name, log, stop };
}
