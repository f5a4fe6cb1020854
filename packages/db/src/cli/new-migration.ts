// Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes the schema of the
// previous migration (its snapshot) to the current prisma/schema.prisma. No database is needed.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadMigrations } from "../migrate";
import { prisma, repoRoot, schemaPath } from "../prisma-cli";

const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:migration -- NAME");
  process.exit(2);
}
const dir = path.join(repoRoot, "prisma/migrations");
const previous = (await loadMigrations(dir)).at(-1);
const from = previous
  ? ["--from-schema-datamodel", path.join(dir, previous.name, "schema.snapshot.prisma")]
  : ["--from-empty"];
const sql = prisma(["migrate", "diff", ...from, "--to-schema-datamodel", schemaPath, "--script"], {
  capture: true,
});
if (sql.trim() === "") throw new Error("prisma migrate diff printed nothing");
if (/^-- This is an empty migration\.\s*$/m.test(sql)) {
  console.log("schema unchanged: no migration written");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const target = path.join(dir, `${stamp}_${name}`);
if (existsSync(target)) throw new Error(`${target} exists`);
mkdirSync(target, { recursive: true });
writeFileSync(path.join(target, "migration.sql"), sql);
copyFileSync(schemaPath, path.join(target, "schema.snapshot.prisma"));
console.log(`wrote ${path.relative(repoRoot, target)}/migration.sql`);
