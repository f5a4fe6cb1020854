// First-run data for a single-machine install, idempotent: an operator account, a demo tenant
// it owns, and the CLI logged into that tenant. Credentials come from BERTH_ADMIN_EMAIL and
// BERTH_ADMIN_PASSWORD, or are generated, printed once and kept in .berth/admin.txt (mode 0600).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { closeDeps, createDeps } from "../create-deps";
import { createCaller } from "../router";
import { createJoinToken } from "../services/agents";
import { authenticateToken } from "../services/tokens";

const env = z
  .object({
    DATABASE_URL: z.string().min(1),
    REDIS_URL: z.string().default("redis://127.0.0.1:6379/0"),
    BETTER_AUTH_SECRET: z.string().min(32),
    BERTH_URL: z.url().default("http://127.0.0.1:3000"),
    BERTH_ADMIN_EMAIL: z.email().default("admin@berth.localhost"),
    BERTH_ADMIN_PASSWORD: z.string().min(10).optional(),
    BERTH_CONFIG: z.string().optional(),
    BERTH_AGENT_STATE: z.string().optional(),
    XDG_CONFIG_HOME: z.string().optional(),
  })
  .parse(process.env);

const repoRoot = path.resolve(import.meta.dirname, "../../../..");
const credentialsFile = path.join(repoRoot, ".berth/admin.txt");
const cliConfigFile =
  env.BERTH_CONFIG ??
  path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), ".config"), "berth", "config.json");

function writePrivate(file: string, text: string) {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const deps = createDeps({
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  authSecret: env.BETTER_AUTH_SECRET,
  baseURL: env.BERTH_URL,
});
try {
  const { db } = deps;
  let user = await db.user.findUnique({ where: { email: env.BERTH_ADMIN_EMAIL } });
  if (!user) {
    const password = env.BERTH_ADMIN_PASSWORD ?? randomBytes(12).toString("base64url");
    await deps.auth.api.signUpEmail({ body: { name: "Operator", email: env.BERTH_ADMIN_EMAIL, password } });
    user = await db.user.findUniqueOrThrow({ where: { email: env.BERTH_ADMIN_EMAIL } });
    if (!env.BERTH_ADMIN_PASSWORD)
      writePrivate(credentialsFile, `email: ${user.email}\npassword: ${password}\n`);
    console.log("\n  Operator account created (shown once):");
    console.log(`    email:    ${user.email}`);
    console.log(`    password: ${env.BERTH_ADMIN_PASSWORD ? "(from BERTH_ADMIN_PASSWORD)" : password}`);
    if (!env.BERTH_ADMIN_PASSWORD)
      console.log(
        `    (also kept in ${path.relative(process.cwd(), credentialsFile)}, readable only by you)\n`,
      );
  } else {
    console.log(`operator account ${user.email} exists`);
  }
  await db.operator.upsert({ where: { userId: user.id }, update: {}, create: { userId: user.id } });

  const actor = {
    kind: "user" as const,
    userId: user.id,
    email: user.email,
    name: user.name,
    isOperator: true,
  };
  const caller = createCaller({ ...deps, actor, authError: null });
  let tenant = (await caller.tenants.list()).find((t) => t.slug === "demo");
  if (!tenant) {
    tenant = await caller.tenants.create({ name: "Demo", slug: "demo" });
    console.log("demo tenant created");
  }

  // A fresh one-time join token for this machine's agent (tokens expire), until it has joined.
  const agentState = env.BERTH_AGENT_STATE ?? path.join(repoRoot, ".berth/agent-state.json");
  const joinTokenFile = path.join(repoRoot, ".berth/agent-join-token");
  if (!existsSync(agentState)) {
    const { token } = await createJoinToken({ db, userId: user.id, serverUrl: env.BERTH_URL });
    writePrivate(joinTokenFile, `${token}\n`);
    console.log("join token for the local agent written (used by npm start)");
  }

  // Log the CLI in unless it already holds a working token.
  const current = existsSync(cliConfigFile)
    ? (JSON.parse(readFileSync(cliConfigFile, "utf8")) as { token?: string; url?: string })
    : {};
  const valid =
    current.token && current.url === env.BERTH_URL && (await authenticateToken({ db, token: current.token }));
  if (!valid) {
    const t = await caller.tokens.create({
      tenantId: tenant.id,
      name: "cli (npm start)",
      scopes: ["read", "write"],
      expiresInDays: 365,
    });
    writePrivate(
      cliConfigFile,
      `${JSON.stringify({ url: env.BERTH_URL, token: t.token, tenantId: tenant.id }, null, 2)}\n`,
    );
    console.log(`CLI logged into the demo tenant (${cliConfigFile})`);
  } else {
    console.log("CLI already logged in");
  }
} finally {
  await closeDeps(deps);
}
