import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/** A folder under prisma/migrations holding one `migration.sql`, applied once, in name order. */
export type Migration = { name: string; sql: string; checksum: string };

export class MigrationError extends Error {
  override name = "MigrationError";
}

// One constant key for pg_advisory_lock: every runner, in any process, queues on it.
const LOCK_KEY = 728_311_004;
const TABLE = "_berth_migrations";

export const defaultMigrationsDir = path.resolve(import.meta.dirname, "../../../prisma/migrations");

export function checksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

export async function loadMigrations(dir = defaultMigrationsDir): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: checksum(sql) };
    }),
  );
}

export type MigrateResult = { applied: string[]; skipped: string[] };

/**
 * Applies pending migrations under a session advisory lock, each in its own transaction,
 * recording its checksum. An applied migration whose file changed since is refused: the
 * database would no longer match what the files describe.
 */
export async function migrate(
  connectionString: string,
  opts: { dir?: string; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const migrations = await loadMigrations(opts.dir);
  const client = new pg.Client({ connectionString });
  await client.connect();
  const result: MigrateResult = { applied: [], skipped: [] };
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         name text PRIMARY KEY,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(
      `SELECT name, checksum FROM ${TABLE}`,
    );
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    // Checked before applying anything, so a refused run leaves the database as it found it.
    for (const m of migrations) {
      const seen = done.get(m.name);
      if (seen !== undefined && seen !== m.checksum) {
        throw new MigrationError(
          `migration ${m.name} was edited after it was applied (checksum ${seen.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk); write a new migration instead`,
        );
      }
    }
    for (const m of migrations) {
      if (done.has(m.name)) {
        result.skipped.push(m.name);
        continue;
      }
      try {
        await client.query("BEGIN");
        await client.query(m.sql);
        await client.query(`INSERT INTO ${TABLE} (name, checksum) VALUES ($1, $2)`, [m.name, m.checksum]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      opts.log?.(`applied ${m.name}`);
      result.applied.push(m.name);
    }
    // Applied in the database but missing on disk: the code is older than the schema.
    const onDisk = new Set(migrations.map((m) => m.name));
    const unknown = [...done.keys()].filter((n) => !onDisk.has(n));
    if (unknown.length > 0) opts.log?.(`warning: database has migrations not on disk: ${unknown.join(", ")}`);
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
