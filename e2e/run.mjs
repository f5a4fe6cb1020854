#!/usr/bin/env node
// Runs the Playwright suite against a throwaway stack: a fresh Postgres database with the
// migrations applied, and the built web app on a free port. Everything it creates, it removes:
// the server's process group, the database, and the Redis keys under its own queue prefix.
// Usage: node e2e/run.mjs [playwright args...]   (build first: cd apps/web && npx next build)
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "apps/web");
const bin = (name) => join(root, "node_modules/.bin", name);
const log = (msg) => console.log(`[e2e] ${msg}`);

const pgServer = process.env.BERTH_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/0";
const id = randomBytes(4).toString("hex");
const dbName = `berth_e2e_${id}`;
const queuePrefix = `berth-e2e-${id}`;

function urlWithDb(base, db) {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

function run(cmd, args, opts) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: "inherit", ...opts });
    child.on("error", rej);
    child.on("exit", (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: pgServer });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function scanComplete(reply) {
  const lines = reply.split("\r\n");
  const n = Number(lines[3]?.slice(1));
  return Number.isFinite(n) && lines.length >= 4 + 2 * n + 1;
}

/** Minimal RESP client: SCAN + DEL of this run's queue keys, best effort. */
async function dropRedisKeys(prefix) {
  const u = new URL(redisUrl);
  const sock = createConnection({ host: u.hostname || "127.0.0.1", port: Number(u.port || 6379) });
  let buf = "";
  const waiters = [];
  sock.setEncoding("utf8");
  sock.on("data", (d) => {
    buf += d;
    waiters.shift()?.();
  });
  const cmd = (...args) =>
    new Promise((res) => {
      buf = "";
      waiters.push(() => res(buf));
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
    });
  const settle = () => new Promise((r) => setTimeout(r, 20));
  await new Promise((res, rej) => {
    sock.once("connect", res);
    sock.once("error", rej);
  });
  const db = u.pathname.slice(1);
  if (u.password)
    await cmd(
      "AUTH",
      ...(u.username ? [decodeURIComponent(u.username)] : []),
      decodeURIComponent(u.password),
    );
  if (db) await cmd("SELECT", db);
  let cursor = "0";
  let deleted = 0;
  do {
    await cmd("SCAN", cursor, "MATCH", `${prefix}:*`, "COUNT", "1000");
    // A reply can arrive in several chunks: wait until it holds as many keys as it announces.
    for (let i = 0; i < 100 && !scanComplete(buf); i++) await settle();
    const lines = buf.split("\r\n");
    cursor = lines[2] ?? "0";
    const keys = lines.slice(4).filter((_, i) => i % 2 === 1);
    if (keys.length) {
      await cmd("DEL", ...keys);
      deleted += keys.length;
    }
  } while (cursor !== "0");
  sock.end();
  return deleted;
}

async function waitForHealth(base, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`GET /api/health did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

async function stopServer(server) {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server.once("exit", r));
  try {
    process.kill(-server.pid, "SIGTERM"); // its whole process group
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {}
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts a long-running part of the stack in its own process group, its output in a log file. */
function startPart(cmd, args, env, logFile) {
  const out = createWriteStream(logFile);
  const child = spawn(cmd, args, { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return child;
}

/** A one-time join token for the stack's agent, as an operator would issue from the dashboard. */
async function joinToken(databaseUrl) {
  const token = `bjoin_${randomBytes(24).toString("base64url")}`;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO join_token (id, hash, "createdById", "expiresAt") VALUES (gen_random_uuid(), $1, 'e2e', now() + interval '1 hour')`,
      [createHash("sha256").update(token).digest("hex")],
    );
  } finally {
    await c.end();
  }
  return token;
}

/** Waits until the agent's host is ready in Postgres (it heartbeats right after it starts). */
async function waitForHost(databaseUrl, agent, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    while (Date.now() < deadline) {
      if (agent.exitCode !== null) throw new Error(`the agent exited with code ${agent.exitCode}`);
      const r = await c.query(`SELECT "isolationLevels"::text[] AS levels FROM host WHERE status = 'ready'`);
      if (r.rows[0]) return r.rows[0].levels;
      await new Promise((res) => setTimeout(res, 300));
    }
  } finally {
    await c.end();
  }
  throw new Error(`the agent's host was not ready within ${timeoutMs / 1000} s`);
}

async function main() {
  if (!existsSync(join(web, ".next/BUILD_ID"))) {
    console.error(
      "[e2e] apps/web is not built (apps/web/.next/BUILD_ID is missing). Run: cd apps/web && npx next build",
    );
    return 2;
  }
  const databaseUrl = urlWithDb(pgServer, dbName);
  let server;
  let worker;
  let agent;
  let created = false;
  const serverLog = join(tmpdir(), `${dbName}-server.log`);
  // The agent's data dir must be searchable by the tenants' mapped users (mkdtemp makes it 0700).
  const agentDir = mkdtempSync(join(tmpdir(), "berth-e2e-agent-"));
  chmodSync(agentDir, 0o711);
  const agentEnv = {
    ...process.env,
    BERTH_AGENT_STATE: join(agentDir, "state.json"),
    BERTH_AGENT_DATA: join(agentDir, "data"),
    BERTH_AGENT_ADDRESS: "127.0.0.1",
    // apart from a local `npm start` agent's 10.88.0.0/16 and 20000-29999
    BERTH_AGENT_SUBNET: "10.87.0.0/16",
    BERTH_AGENT_PORTS: "30000-30999",
  };
  const cleanup = async () => {
    await stopServer(agent);
    if (existsSync(join(agentDir, "data")))
      await run(bin("tsx"), ["e2e/support/agent-reset.ts", join(agentDir, "data")], {
        cwd: root,
        env: agentEnv,
      });
    rmSync(agentDir, { recursive: true, force: true });
    await stopServer(worker);
    await stopServer(server);
    if (created) {
      await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).then(
        () => log(`dropped database ${dbName}`),
        (err) => console.error(`[e2e] could not drop ${dbName}: ${err.message}`),
      );
    }
    await dropRedisKeys(queuePrefix).then(
      (n) => n && log(`deleted ${n} Redis keys under ${queuePrefix}:`),
      (err) => console.error(`[e2e] could not clean Redis keys under ${queuePrefix}: ${err.message}`),
    );
  };
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.once(sig, () => cleanup().finally(() => process.exit(130)));
  }

  try {
    await adminQuery(`CREATE DATABASE "${dbName}"`);
    created = true;
    log(`created database ${dbName}`);
    const migrated = await run(bin("tsx"), ["packages/db/src/cli/migrate.ts"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    if (migrated !== 0) throw new Error(`migrations failed (exit ${migrated})`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const out = createWriteStream(serverLog);
    server = spawn(bin("next"), ["start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: web,
      detached: true, // own process group, so that stopping it stops its children too
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        NODE_ENV: "production",
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
        BERTH_URL: base,
        BERTH_QUEUE_PREFIX: queuePrefix,
      },
    });
    server.stdout.pipe(out);
    server.stderr.pipe(out);
    log(`server starting on ${base} (log: ${serverLog})`);
    await waitForHealth(base, server, 60_000);
    const stackEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      BERTH_QUEUE_PREFIX: queuePrefix,
    };
    worker = startPart(
      bin("tsx"),
      ["apps/worker/src/main.ts"],
      stackEnv,
      join(tmpdir(), `${dbName}-worker.log`),
    );
    const token = await joinToken(databaseUrl);
    const joined = await run(
      "node",
      ["agent/bin/berth-agent.mjs", "join", "--server", base, "--token", token, "--name", `e2e-${id}`],
      { cwd: root, env: agentEnv },
    );
    if (joined !== 0) throw new Error(`the agent could not join (exit ${joined})`);
    const agentLog = join(tmpdir(), `${dbName}-agent.log`);
    agent = startPart("node", ["agent/bin/berth-agent.mjs", "run"], agentEnv, agentLog);
    const levels = await waitForHost(databaseUrl, agent, 30_000);
    log(
      `server healthy; worker started; agent ready offering ${levels.join(", ") || "no level"} (log: ${agentLog})`,
    );

    const code = await run("npx", ["playwright", "test", ...process.argv.slice(2)], {
      cwd: join(root, "e2e"),
      env: {
        ...process.env,
        BERTH_E2E_URL: base,
        BERTH_E2E_DATABASE_URL: databaseUrl,
        // where specs play an agent shipping log lines
        BERTH_E2E_REDIS_URL: redisUrl,
        BERTH_E2E_QUEUE_PREFIX: queuePrefix,
      },
    });
    if (code !== 0) log(`Playwright failed; server log: ${serverLog}`);
    return code;
  } catch (err) {
    console.error(`[e2e] ${err.message}`);
    if (existsSync(serverLog)) {
      console.error(
        `[e2e] last server output:\n${readFileSync(serverLog, "utf8").split("\n").slice(-40).join("\n")}`,
      );
    }
    return 1;
  } finally {
    await cleanup();
  }
}

process.exit(await main());
