// A Postgres cluster and a Redis server of the fault tests' own, on free loopback ports: the tests
// restart Postgres and FLUSHALL Redis, which the machine's shared services must never see.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const PG_BIN = process.env.BERTH_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * A shell that runs `script` once this process is gone, however it went (a SIGKILL from the test
 * runner included): it waits for end-of-file on a pipe only this process holds open.
 */
export function deadMansSwitch(script: string): { fire(): void } {
  const sh = spawn("sh", ["-c", `read _ || true; ${script}`], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  sh.unref();
  (sh.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return { fire: () => sh.stdin?.end() };
}

/** Postgres refuses to run as root: as root, run its tools as the `postgres` user. */
async function asPostgres(tool: string, args: string[], timeoutMs = 60_000) {
  const bin = join(PG_BIN, tool);
  const [cmd, argv] =
    process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  return run(cmd, argv, { timeout: timeoutMs });
}

export type OwnPostgres = {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (fast shutdown: sessions are cut) and deletes its files; safe to call twice. */
  destroy(): Promise<void>;
  /** For a process exit handler: stop at once, synchronously enough. */
  killNow(): void;
};

export async function startPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "berth-faults-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  await asPostgres("initdb", [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  const start = async () => {
    await asPostgres("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-o",
      options,
      "-w",
      "-t",
      "60",
      "start",
    ]);
  };
  const stop = async () => {
    await asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  };
  let destroyed = false;
  const pidFile = join(data, "postmaster.pid");
  const guard = deadMansSwitch(
    `kill -QUIT $(head -1 '${pidFile}' 2>/dev/null) 2>/dev/null; sleep 2; rm -rf '${dir}'`,
  );
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      guard.fire();
    },
    killNow() {
      guard.fire();
    },
  };
}

export type OwnRedis = { url: string; port: number; destroy(): Promise<void>; killNow(): void };

export async function startRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  proc.stdout?.on("data", (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  });
  proc.stderr?.on("data", (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const guard = deadMansSwitch(`kill -9 ${proc.pid} 2>/dev/null`);
  const deadline = Date.now() + 10_000;
  while (!output.includes("Ready to accept connections")) {
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`redis-server on port ${port} did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async destroy() {
      guard.fire();
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGKILL");
      await exited;
    },
    killNow() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      guard.fire();
    },
  };
}
