// Runs the migration runner against real Postgres: each case gets its own fresh database.
import { execFileSync } from "node:child_process";
import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { defaultMigrationsDir, loadMigrations, MigrationError, migrate } from "./migrate";
import { prisma, schemaPath } from "./prisma-cli";
import { createEmptyDatabase, dropDatabase } from "./testing";

const created: string[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(created.map((name) => dropDatabase(name)));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshDb(): Promise<string> {
  const { name, url } = await createEmptyDatabase();
  created.push(name);
  return url;
}

async function tempMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "berth-migrations-"));
  tempDirs.push(dir);
  await cp(defaultMigrationsDir, dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, "migration.sql"), sql);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const recorded = (url: string) =>
  query<{ name: string; checksum: string }>(
    url,
    "SELECT name, checksum FROM _berth_migrations ORDER BY name",
  );

async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await query<{ t: string | null }>(url, "SELECT to_regclass($1) AS t", [`public."${table}"`]);
  return row?.t != null;
}

// pg_dump >= 15.14 brackets the dump in \restrict/\unrestrict with a random key; comments carry
// nothing structural. Both are dropped so two dumps compare by content alone. Column order is
// not compared: a migration's ADD COLUMN appends, while a schema built from empty follows the
// model's field order, and nothing in the project depends on the physical order.
function schemaDump(url: string): string {
  const out = execFileSync(
    "/usr/bin/pg_dump",
    ["--schema-only", "--no-owner", "--no-privileges", "--exclude-table=_berth_migrations", "-d", url],
    { encoding: "utf8" },
  );
  const lines = out
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("--") && !/^\\(un)?restrict\b/.test(l));
  return sortColumns(lines).join("\n");
}

/** Sorts the column lines of each CREATE TABLE, dropping the trailing commas that differ. */
function sortColumns(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    out.push(line);
    if (!/^CREATE TABLE /.test(line)) continue;
    const columns: string[] = [];
    while (i + 1 < lines.length && lines[i + 1] !== ");") columns.push((lines[++i] ?? "").replace(/,$/, ""));
    out.push(...columns.sort());
  }
  return out;
}

describe("migrate", () => {
  it("applies every migration to an empty database, then skips them all", async () => {
    const url = await freshDb();
    const migrations = await loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    const names = migrations.map((m) => m.name);

    const first = await migrate(url);
    expect(first).toEqual({ applied: names, skipped: [] });
    expect(await recorded(url)).toEqual(migrations.map(({ name, checksum }) => ({ name, checksum })));
    for (const table of ["tenant", "deployment", "user"]) expect(await tableExists(url, table)).toBe(true);

    const second = await migrate(url);
    expect(second).toEqual({ applied: [], skipped: names });
    expect(await recorded(url)).toHaveLength(migrations.length);
  });

  it("applies each migration exactly once when four runners start together", async () => {
    const url = await freshDb();
    const count = (await loadMigrations()).length;
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url)));
    expect(results.flatMap((r) => r.applied)).toHaveLength(count);
    // Every runner sees every migration, either applying it or finding it done.
    for (const r of results) expect(r.applied.length + r.skipped.length).toBe(count);
    expect(await recorded(url)).toHaveLength(count);
  });

  it("refuses an applied migration that was edited, and applies nothing else", async () => {
    const url = await freshDb();
    const dir = await tempMigrations();
    const [target] = await loadMigrations(dir);
    if (!target) throw new Error("no migrations");
    await migrate(url, { dir });
    const before = await recorded(url);

    await appendFile(path.join(dir, target.name, "migration.sql"), "\n-- an innocent-looking edit\n");
    // Pending migrations on both sides of the edited one: a refused run must not half-apply.
    await addMigration(dir, "00000000000000_earlier", "CREATE TABLE early_pending (id int);");
    await addMigration(dir, "99999999999999_later", "CREATE TABLE late_pending (id int);");

    const run = migrate(url, { dir });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(run).rejects.toThrow(target.name);
    expect(await recorded(url)).toEqual(before);
    expect(await tableExists(url, "early_pending")).toBe(false);
    expect(await tableExists(url, "late_pending")).toBe(false);
  });

  it("rolls back a migration that fails part-way and does not record it", async () => {
    const url = await freshDb();
    const dir = await tempMigrations();
    const good = (await loadMigrations(dir)).map((m) => m.name);
    const bad = "99999999999999_fails";
    await addMigration(dir, bad, "CREATE TABLE half_done (id int);\nSELECT 1/0;\n");

    const run = migrate(url, { dir });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(run).rejects.toThrow(bad);
    expect(await tableExists(url, "half_done")).toBe(false);
    // The good migrations before it stay applied; only the failing one is missing.
    expect((await recorded(url)).map((r) => r.name)).toEqual(good);
  });

  it("produces exactly the schema that schema.prisma describes", async () => {
    const migrated = await freshDb();
    await migrate(migrated);

    const sql = prisma(["migrate", "diff", "--from-empty", "--to-schema-datamodel", schemaPath, "--script"], {
      capture: true,
    });
    expect(sql).toContain("CREATE TABLE");
    const direct = await freshDb();
    await query(direct, sql);

    const a = schemaDump(migrated);
    expect(a).toContain("CREATE TABLE public.tenant");
    expect(a).toEqual(schemaDump(direct));
  });
});
