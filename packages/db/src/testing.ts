// Test databases: each test file gets its own, created from the migrations and dropped after.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "./index";
import { migrate } from "./migrate";

export const adminUrl = process.env.BERTH_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export function urlFor(database: string, base = adminUrl): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createEmptyDatabase(prefix = "berth_test"): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  return { name, url: urlFor(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  if (!/^berth_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export type TestDatabase = { name: string; url: string; db: Db; drop: () => Promise<void> };

export async function createTestDatabase(): Promise<TestDatabase> {
  const { name, url } = await createEmptyDatabase();
  await migrate(url);
  const db = createDb(url, { max: 5 });
  return {
    name,
    url,
    db,
    drop: async () => {
      await db.$disconnect();
      await dropDatabase(name);
    },
  };
}
