// `npm start`: setup, then the web app, the worker and (when present) the agent in one terminal.
// Each child runs in its own process group so a stop reaches npm, its shell and the server alike.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fail, log, portOpen, root, SetupError } from "./lib.mjs";
import { setup } from "./setup.mjs";

const WEB = "http://127.0.0.1:3000"; // where `next start` listens (apps/web/package.json)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const env = { ...process.env, ...(await setup().catch(fail)) };
// The local agent keeps its identity beside the config; `npm run setup` leaves a one-time join
// token for it until it has joined.
env.BERTH_AGENT_STATE ??= path.join(root, ".berth/agent-state.json");
// Its images, instances, networks and volumes; endpoints are published on every address of the
// machine and shown as 127.0.0.1, where a single-machine user reaches them.
env.BERTH_AGENT_DATA ??= path.join(root, ".berth/agent-data");
env.BERTH_AGENT_ADDRESS ??= "127.0.0.1";
const joinTokenFile = path.join(root, ".berth/agent-join-token");
if (await portOpen("127.0.0.1", 3000))
  fail(new SetupError("127.0.0.1:3000 is already in use: is Berth running already?"));

const apps = [
  ["web", "@berth/web"],
  ["worker", "@berth/worker"],
  ...(existsSync(path.join(root, "agent/src/main.ts")) ? [["agent", "@berth/agent"]] : []),
];
const width = Math.max(...apps.map(([name]) => name.length)) + 2;
let stopping = false;

const children = apps.map(([name, workspace]) => {
  const child = spawn("npm", ["start", "--silent", "-w", workspace], {
    cwd: root,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = `[${name}]`.padEnd(width + 1);
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    readline.createInterface({ input: stream }).on("line", (line) => out.write(`${prefix}${line}\n`));
  }
  child.on("error", (e) => log("start", `${name}: ${e.message}`));
  child.on("exit", (code, signal) => {
    if (stopping) return;
    log("start", `${name} exited (${signal ?? `code ${code}`}); stopping the others`);
    stop(code || 1);
  });
  return child;
});

/** True while any process of the group lives (EPERM: it exists but is not ours to signal). */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

function signalAll(signal) {
  for (const child of children) {
    try {
      process.kill(-child.pid, signal);
    } catch {} // the group is already gone
  }
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  signalAll("SIGTERM");
  const deadline = Date.now() + 10_000;
  while (children.some((c) => groupAlive(c.pid)) && Date.now() < deadline) await sleep(200);
  if (children.some((c) => groupAlive(c.pid))) {
    log("start", "still running 10 s after SIGTERM: sending SIGKILL");
    signalAll("SIGKILL");
  }
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(0));

// Announce readiness once the app answers, not when the processes merely exist.
const t0 = Date.now();
let warned = false;
while (!stopping) {
  const status = await fetch(`${WEB}/api/health`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => "no answer",
  );
  if (status === 200) {
    await joinLocalAgent();
    console.log(`Berth is running at ${WEB} (Ctrl-C to stop)`);
    break;
  }
  if (!warned && Date.now() - t0 > 60_000) {
    warned = true;
    log("start", `GET ${WEB}/api/health: ${status} after 60 s; still waiting`);
  }
  await sleep(500);
}

/** First start only: enroll this machine's agent with the token the seed step left. */
async function joinLocalAgent() {
  if (existsSync(env.BERTH_AGENT_STATE) || !existsSync(joinTokenFile)) return;
  const token = readFileSync(joinTokenFile, "utf8").trim();
  const join = spawn(
    process.execPath,
    ["agent/bin/berth-agent.mjs", "join", "--server", WEB, "--token", token],
    {
      cwd: root,
      env,
      stdio: "inherit",
    },
  );
  const code = await new Promise((resolve) => join.on("exit", resolve));
  if (code === 0) rmSync(joinTokenFile, { force: true });
  else log("start", `the local agent could not join (exit ${code}); see above`);
}
