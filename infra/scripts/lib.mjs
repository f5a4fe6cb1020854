// Helpers shared by setup, start and test. Node builtins only: these run before `npm install`.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Not import.meta.dirname: it needs Node 20.11 and we promise 20.9.
export const root = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const stateDir = path.join(root, ".berth");
export const configPath = path.join(stateDir, "config.env");

/** An expected failure: the message tells the user what to do, so no stack trace is printed. */
export class SetupError extends Error {}

/** Prints an error and exits; a SetupError gets its message only, anything else its stack. */
export function fail(e) {
  console.error(e instanceof SetupError ? `[berth] error: ${e.message}` : e);
  process.exit(1);
}

export function log(name, msg) {
  console.log(`[berth] ${name}: ${msg}`);
}

/** Runs one named step and logs its result (a short string it returns) with the elapsed time. */
export async function step(name, fn) {
  const t0 = performance.now();
  let result;
  try {
    result = await fn();
  } catch (e) {
    if (e instanceof SetupError) e.message = `${name}: ${e.message}`;
    throw e;
  }
  log(name, `${result ?? "done"} (${Math.round(performance.now() - t0)} ms)`);
  return result;
}

/** Runs a command with inherited stdio; rejects with a SetupError on a non-zero exit. */
export function run(cmd, args, opts = {}) {
  console.log(`$ ${[cmd, ...args].map((a) => (a === "" ? '""' : a)).join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", ...opts });
    child.on("error", (e) => reject(new SetupError(`${cmd}: ${e.message}`)));
    child.on("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new SetupError(`${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/** Runs a command quietly and returns { code, stdout, stderr }; code is null when it is not installed. */
export function capture(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], ...opts });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", () => resolve({ code: null, stdout, stderr }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** True if something on PATH answers to this name (used to tell Debian hosts from others). */
export function hasCommand(name) {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => dir && existsSync(path.join(dir, name)));
}

export function portOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

export async function waitPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(host, port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * sha256 over the relative paths and contents of files under the given paths (files or dirs),
 * walked in sorted order so the result does not depend on readdir order. `skip(rel)` prunes.
 */
export function hashPaths(paths, skip = () => false) {
  const h = createHash("sha256");
  const visit = (abs) => {
    const rel = path.relative(root, abs);
    if (!existsSync(abs) || skip(rel)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) visit(path.join(abs, name));
    } else {
      h.update(`${rel}\0`).update(readFileSync(abs)).update("\0");
    }
  };
  for (const p of paths) visit(path.resolve(root, p));
  return h.digest("hex");
}

export function readStamp(name) {
  const file = path.join(stateDir, name);
  return existsSync(file) ? readFileSync(file, "utf8").trim() : null;
}

export function writeStamp(name, value) {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, name), `${value}\n`);
}

/** Reads `.berth/config.env` (KEY=VALUE lines, # comments) into a plain object. */
export function readConfig() {
  if (!existsSync(configPath)) return {};
  const out = {};
  for (const line of readFileSync(configPath, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** Writes the config with mode 0600, since it holds a secret. */
export function writeConfig(values) {
  const lines = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    configPath,
    `# Written by npm run setup; shell variables override these.\n${lines.join("\n")}\n`,
    { mode: 0o600 },
  );
  protectConfig();
}

/** writeFileSync's mode applies only when it creates the file: tighten an older or hand-made one too. */
export function protectConfig() {
  if (existsSync(configPath) && (statSync(configPath).mode & 0o777) !== 0o600) chmodSync(configPath, 0o600);
}
