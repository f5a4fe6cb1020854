// `npm run setup`: takes a Debian machine (or one with Docker) from a fresh clone to a ready Berth.
// Idempotent: every step checks before it acts, so a second run only verifies (a few seconds).
// Flags: --for-tests (adds chromium, no seed), --no-build, --no-seed.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureGuestKernel } from "./guest-kernel.mjs";
import { ensureExampleImages, ensureRegistry } from "./images.mjs";
import {
  capture,
  fail,
  hasCommand,
  hashPaths,
  log,
  portOpen,
  protectConfig,
  readConfig,
  readStamp,
  root,
  run,
  SetupError,
  step,
  waitPort,
  writeConfig,
  writeStamp,
} from "./lib.mjs";
import { ensureUnikernelImages } from "./unikernel.mjs";

const DEFAULTS = {
  DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/berth",
  REDIS_URL: "redis://127.0.0.1:6379/0",
  BETTER_AUTH_SECRET: "",
  BERTH_URL: "http://127.0.0.1:3000",
};
const COMPOSE_HINT = "with Docker: docker compose -f infra/compose.yaml up -d";
const isRoot = process.getuid?.() === 0;
// What the isolation levels run with (runc, the image pipeline, networking) and what builds the
// example images (gcc, make, libc6-dev for a static binary; attr for the overlay whiteouts; zstd
// for zstd-compressed layers, which Node 20 cannot decompress; qemu-system-x86 runs the microvm level).
const HOST_PACKAGES = [
  "runc",
  "skopeo",
  "umoci",
  "docker-registry",
  "tini",
  "busybox-static",
  "e2fsprogs",
  "nftables",
  "iproute2",
  "attr",
  "zstd",
  "gcc",
  "make",
  "libc6-dev",
  "qemu-system-x86",
  // ping: the unikernel level's test checks that a guest answers ICMP echo through its tenant bridge.
  "iputils-ping",
];

/** Runs every step; returns the effective config (file values, overridden by the shell). */
export async function setup({ forTests = false, build = true, seed = !forTests } = {}) {
  const t0 = performance.now();
  await step("node", checkNode);
  await step("npm deps", installDeps);
  let env;
  await step("config", () => {
    const loaded = loadConfig();
    env = loaded.env;
    return loaded.message;
  });
  const managed = {
    // A URL the user chose (shell or edited file) is theirs to run: we only check that it answers.
    postgres: !process.env.DATABASE_URL && env.DATABASE_URL === DEFAULTS.DATABASE_URL,
    redis: !process.env.REDIS_URL && env.REDIS_URL === DEFAULTS.REDIS_URL,
  };
  const childEnv = { ...process.env, ...env };
  await step("packages", () => ensurePackages(forTests, managed));
  await step("services", () => ensureServices(env, managed));
  await step("registry", ensureRegistry);
  await step("images", ensureExampleImages);
  await step("unikernel images", ensureUnikernelImages);
  await step("guest kernel", ensureGuestKernel);
  await step("database", () => ensureDatabase(env.DATABASE_URL));
  await step("prisma", async () => {
    await run("npm", ["run", "--silent", "db:generate"], { env: childEnv });
    await run("npm", ["run", "--silent", "db:migrate"], { env: childEnv });
  });
  await step("build", () => (build ? buildWeb(childEnv) : "skipped (--no-build)"));
  await step("seed", () => (seed ? seedDatabase(childEnv) : "skipped"));
  log("setup", `ready in ${Math.round(performance.now() - t0)} ms`);
  return env;
}

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 9)) {
    throw new SetupError(
      `Node ${process.versions.node} is too old: Berth needs Node >= 20.9. Install a newer Node and run npm run setup again.`,
    );
  }
  return `v${process.versions.node}`;
}

async function installDeps() {
  // Hashing the lock rather than trusting mtimes: git checkouts touch files without changing them.
  const lockHash = () =>
    existsSync(path.join(root, "package-lock.json")) ? hashPaths(["package-lock.json"]) : "no lock";
  if (existsSync(path.join(root, "node_modules")) && readStamp("npm-lock.hash") === lockHash())
    return "up to date";
  await run("npm", ["install", "--no-audit", "--no-fund"]);
  writeStamp("npm-lock.hash", lockHash()); // after the install: npm may have rewritten the lock
  return "installed";
}

function loadConfig() {
  const file = readConfig();
  const missing = Object.keys(DEFAULTS).filter((k) => !file[k]);
  const values = { ...DEFAULTS, BETTER_AUTH_SECRET: randomBytes(32).toString("hex"), ...file };
  // Rewrite only to add what is missing: keeps the generated secret and the user's own edits.
  if (missing.length) writeConfig(values);
  else protectConfig();
  const fromShell = Object.keys(values).filter((k) => process.env[k] && process.env[k] !== values[k]);
  for (const k of fromShell) values[k] = process.env[k];
  const message = [
    missing.length ? `wrote ${missing.join(", ")} to .berth/config.env` : ".berth/config.env unchanged",
    fromShell.length ? `from the shell: ${fromShell.join(", ")}` : "",
  ];
  return { env: values, message: message.filter(Boolean).join("; ") };
}

async function ensurePackages(forTests, managed) {
  // A server already listening (e.g. from infra/compose.yaml) needs no package.
  const [pgUp, redisUp] = await Promise.all([portOpen("127.0.0.1", 5432), portOpen("127.0.0.1", 6379)]);
  const wanted = [
    managed.postgres && !pgUp && "postgresql",
    managed.redis && !redisUp && "redis-server",
    forTests && "chromium", // e2e drives /usr/bin/chromium; Playwright downloads nothing here
    ...HOST_PACKAGES,
  ].filter(Boolean);
  if (!hasCommand("dpkg-query") || !hasCommand("apt-get")) {
    log(
      "packages",
      `no apt-get/dpkg on this machine: provide ${wanted.join(", ")} yourself (${COMPOSE_HINT})`,
    );
    return "skipped (not Debian)";
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not JS
  const status = await capture("dpkg-query", ["-W", "-f=${Package} ${Status}\n", ...wanted]);
  // "install ok installed"; "not-installed", "config-files" and unknown packages do not count.
  const installed = new Set(
    status.stdout
      .split("\n")
      .filter((l) => / installed$/.test(l))
      .map((l) => l.split(" ")[0].split(":")[0]),
  );
  const missing = wanted.filter((pkg) => !installed.has(pkg));
  if (!missing.length) return `${wanted.length} packages installed`;
  if (!isRoot) {
    throw new SetupError(
      `missing Debian packages. Run:\n  sudo apt-get install -y ${missing.join(" ")}\nthen npm run setup again.`,
    );
  }
  // Waits for another apt (a parallel setup) rather than failing on its lock; updates the package
  // lists only when the install fails, since a fresh update costs tens of seconds.
  const install = () =>
    run(
      "apt-get",
      ["install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", ...missing],
      { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } },
    );
  try {
    await install();
  } catch {
    log("packages", "install failed: updating the package lists and trying again");
    await run("apt-get", ["update", "-o", "DPkg::Lock::Timeout=300"]);
    await install();
  }
  return `installed ${missing.join(", ")}`;
}

function endpoint(url, defaultPort) {
  const u = new URL(url);
  return { host: u.hostname || "127.0.0.1", port: Number(u.port) || defaultPort };
}

async function ensureServices(env, managed) {
  const services = [
    {
      name: "postgres",
      key: "DATABASE_URL",
      ...endpoint(env.DATABASE_URL, 5432),
      managed: managed.postgres,
      start: startPostgres,
    },
    {
      name: "redis",
      key: "REDIS_URL",
      ...endpoint(env.REDIS_URL, 6379),
      managed: managed.redis,
      start: startRedis,
    },
  ];
  const open = await Promise.all(services.map((s) => portOpen(s.host, s.port)));
  const unreachable = services.filter((s, i) => !open[i] && !s.managed);
  if (unreachable.length) {
    const list = unreachable.map((s) => `  ${s.name} at ${s.host}:${s.port} (${s.key})`).join("\n");
    throw new SetupError(`unreachable, and not started by setup because you set the URL:\n${list}`);
  }
  const result = [];
  for (const [i, s] of services.entries()) {
    if (open[i]) {
      result.push(`${s.name} up`);
      continue;
    }
    log("services", `${s.name} is not listening on ${s.host}:${s.port}: starting it`);
    await s.start();
    if (!(await waitPort(s.host, s.port, 30_000)))
      throw new SetupError(`${s.name} did not open ${s.host}:${s.port} within 30 s`);
    result.push(`${s.name} started`);
  }
  return result.join(", ");
}

function dirs(parent) {
  return existsSync(parent)
    ? readdirSync(parent, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
}

async function startPostgres() {
  if (!hasCommand("pg_ctlcluster"))
    throw new SetupError(`Postgres is not running and pg_ctlcluster is missing (${COMPOSE_HINT})`);
  // /etc/postgresql lists clusters; a package installed without one only shows in /usr/lib/postgresql.
  let versions = dirs("/etc/postgresql");
  if (!versions.length) versions = dirs("/usr/lib/postgresql");
  if (versions.length !== 1) {
    throw new SetupError(
      `expected one Postgres version, found ${versions.join(", ") || "none"}: start one on 127.0.0.1:5432 or set DATABASE_URL`,
    );
  }
  const v = versions[0];
  const cmds = [["pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "start"]];
  // Trust auth because the default DATABASE_URL has no password; Debian only listens on localhost.
  if (!existsSync(`/etc/postgresql/${v}/main`))
    cmds.unshift(["pg_createcluster", v, "main", "--", "--auth=trust"]);
  if (!isRoot)
    throw new SetupError(
      `starting Postgres needs root. Run:\n${cmds.map((c) => `  sudo ${c.join(" ")}`).join("\n")}`,
    );
  for (const [cmd, ...args] of cmds) await run(cmd, args);
}

async function startRedis() {
  if (!hasCommand("redis-server"))
    throw new SetupError(`Redis is not running and redis-server is missing (${COMPOSE_HINT})`);
  // Nothing on disk: Redis only carries work that the reconciler can rebuild from Postgres.
  await run("redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
}

async function ensureDatabase(databaseUrl) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new SetupError("DATABASE_URL names no database");
  url.searchParams.delete("schema"); // Prisma's parameter; psql rejects it
  url.pathname = "/postgres"; // the maintenance database, which always exists
  const found = await sql(url, `SELECT 1 FROM pg_database WHERE datname='${name.replaceAll("'", "''")}'`);
  if (found === "1") return `${name} exists`;
  await sql(url, `CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  return `created ${name}`;
}

async function sql(url, query) {
  const shown = new URL(url);
  if (shown.password) shown.password = "***";
  const hint = (msg) =>
    /password/i.test(msg)
      ? "\nPostgres wants a password: put it in DATABASE_URL (shell or .berth/config.env)."
      : "";
  if (hasCommand("psql")) {
    const r = await capture("psql", [url.href, "-tAc", query], {
      env: { ...process.env, PGCONNECT_TIMEOUT: "10" },
    });
    if (r.code !== 0) throw new SetupError(`psql ${shown.href} failed: ${r.stderr.trim()}${hint(r.stderr)}`);
    return r.stdout.trim();
  }
  // Docker users may have no psql: use the pg package that npm install brought for @berth/db.
  const pgPath = createRequire(path.join(root, "packages/db/package.json")).resolve("pg");
  const { default: pg } = await import(pathToFileURL(pgPath).href);
  const client = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const { rows } = await client.query(query);
    return rows.length ? String(Object.values(rows[0])[0]) : "";
  } catch (e) {
    throw new SetupError(`query on ${shown.href} failed: ${e.message}${hint(e.message)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function webBuildHash() {
  const packages = dirs(path.join(root, "packages")).map((p) => `packages/${p}/src`);
  // Skipped: build output, deps, generated code (follows the schema, hashed below) and files
  // that `next build` or tsc rewrite themselves, which would otherwise force a rebuild every run.
  const skip = (rel) =>
    /(^|\/)(node_modules|\.next)$/.test(rel) ||
    /^packages\/[^/]+\/src\/(.*\/)?generated$/.test(rel) ||
    /(\.tsbuildinfo|next-env\.d\.ts)$/.test(rel);
  return hashPaths(["apps/web", ...packages, "package-lock.json", "prisma/schema.prisma"], skip);
}

async function buildWeb(env) {
  const web = path.join(root, "apps/web");
  if (!["app", "src/app", "pages", "src/pages"].some((d) => existsSync(path.join(web, d)))) {
    return "skipped (apps/web has no app yet)";
  }
  const hash = webBuildHash();
  if (readStamp("web-build.hash") === hash && existsSync(path.join(web, ".next/BUILD_ID")))
    return "up to date";
  await run("npm", ["run", "build", "-w", "@berth/web"], { env });
  writeStamp("web-build.hash", hash); // the inputs as they were when the build read them
  return "built";
}

async function seedDatabase(env) {
  const script = "packages/api/src/cli/seed.ts";
  if (!existsSync(path.join(root, script))) return "skipped (not available)";
  await run(path.join(root, "node_modules/.bin/tsx"), [script], { env });
  return "done";
}

const flags = ["--for-tests", "--no-build", "--no-seed"];
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url))) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !flags.includes(a));
  if (unknown.length) {
    console.error(`unknown option ${unknown.join(" ")}; usage: npm run setup -- [${flags.join("] [")}]`);
    process.exit(2);
  }
  const forTests = args.includes("--for-tests");
  setup({
    forTests,
    build: !args.includes("--no-build"),
    seed: !forTests && !args.includes("--no-seed"),
  }).catch(fail);
}
