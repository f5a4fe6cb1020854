// Test harness: a real Postgres database and a Redis key prefix of its own per test file.
import { randomBytes } from "node:crypto";
import type { Db } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import type { Actor } from "./context";
import { closeDeps, createDeps } from "./create-deps";
import type { Deps } from "./deps";
import { handleRest } from "./rest";
import { createCaller } from "./router";

export const testRedisUrl = process.env.BERTH_TEST_REDIS_URL ?? "redis://127.0.0.1:6379/0";

export type Harness = {
  deps: Deps;
  database: TestDatabase;
  queuePrefix: string;
  close: () => Promise<void>;
};

export async function createHarness(): Promise<Harness> {
  const database = await createTestDatabase();
  const queuePrefix = `berth-test-${randomBytes(4).toString("hex")}`;
  const deps = createDeps({
    databaseUrl: database.url,
    redisUrl: testRedisUrl,
    authSecret: randomBytes(32).toString("hex"),
    baseURL: "http://127.0.0.1:3999",
    queuePrefix,
  });
  return {
    deps,
    database,
    queuePrefix,
    close: async () => {
      const keys = await deps.redis.keys(`${queuePrefix}:*`);
      if (keys.length) await deps.redis.del(...keys);
      await closeDeps(deps);
      await database.drop();
    },
  };
}

export type TestUser = {
  id: string;
  email: string;
  name: string;
  password: string;
  actor: Actor;
  cookie: string;
};

/** Signs a user up through better-auth, as the dashboard does, and keeps the session cookie. */
export async function signUp(h: Harness, name: string, opts: { operator?: boolean } = {}): Promise<TestUser> {
  const email = `${name.toLowerCase()}-${randomBytes(3).toString("hex")}@example.test`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const res = await h.deps.auth.api.signUpEmail({ body: { name, email, password }, asResponse: true });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const user = await h.deps.db.user.findUniqueOrThrow({ where: { email } });
  if (opts.operator) await h.deps.db.operator.create({ data: { userId: user.id } });
  return {
    id: user.id,
    email,
    name,
    password,
    cookie,
    actor: { kind: "user", userId: user.id, email, name, isOperator: opts.operator ?? false },
  };
}

export function callerFor(h: Harness, actor: Actor | null) {
  return createCaller({ ...h.deps, actor, authError: null });
}

/** A tenant owned by `owner`, with `others` added at the given roles. */
export async function makeTenant(
  h: Harness,
  owner: TestUser,
  slug: string,
  others: [TestUser, "admin" | "member" | "viewer" | "owner"][] = [],
) {
  const tenant = await callerFor(h, owner.actor).tenants.create({
    name: slug,
    slug: `${slug}-${randomBytes(3).toString("hex")}`,
  });
  for (const [u, role] of others) {
    await h.deps.db.membership.create({ data: { tenantId: tenant.id, userId: u.id, role } });
  }
  return tenant;
}

export function restRequest(
  path: string,
  init: { method?: string; token?: string; cookie?: string; body?: unknown; rawBody?: string } = {},
) {
  const headers = new Headers();
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.cookie) headers.set("cookie", init.cookie);
  const hasBody = init.body !== undefined || init.rawBody !== undefined;
  if (hasBody) headers.set("content-type", "application/json");
  return new Request(`http://127.0.0.1:3999/api/v1${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
}

/**
 * Row counts and a checksum of every table, to prove a refused request changed nothing.
 * `lastUsedAt` is left out: using an API token records when (once a minute), by design.
 */
export async function fingerprint(db: Db): Promise<string> {
  const tables = await db.$queryRaw<{ name: string }[]>`
    SELECT table_name::text AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`;
  const parts = await Promise.all(
    tables.map(async ({ name }) => {
      const [row] = await db.$queryRawUnsafe<{ n: bigint; sum: string | null }[]>(
        `SELECT count(*) AS n, md5(string_agg(r, ',' ORDER BY r)) AS sum
         FROM (SELECT (to_jsonb(t) - 'lastUsedAt')::text AS r FROM "${name.replaceAll('"', '""')}" t) s`,
      );
      return `${name}=${row?.n}:${row?.sum}`;
    }),
  );
  return parts.join("\n");
}

/** Enrolls a host the way an agent does: an operator's join token, then `POST /agent/join`. */
export async function enrollHost(
  h: Harness,
  operator: TestUser,
  name: string,
  host: { capacity: unknown; capabilities: unknown; address?: string },
) {
  const { token, command } = await callerFor(h, operator.actor).hosts.createJoinToken();
  const res = await handleRest(
    h.deps,
    restRequest("/agent/join", {
      method: "POST",
      body: {
        joinToken: token,
        name,
        address: host.address ?? "127.0.0.1",
        capacity: host.capacity,
        capabilities: host.capabilities,
      },
    }),
  );
  if (res.status !== 200) throw new Error(`join failed: ${res.status} ${await res.text()}`);
  const joined = (await res.json()) as {
    hostId: string;
    hostToken: string;
    redis: { url: string; username: string; password: string };
  };
  return { ...joined, joinToken: token, command };
}
