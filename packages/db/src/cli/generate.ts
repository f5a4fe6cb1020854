// Generates the Prisma client, skipped when the schema has not changed since the last run.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { prisma, repoRoot, schemaPath } from "../prisma-cli";

const stamp = path.join(repoRoot, "packages/db/src/generated/.schema-hash");
const hash = createHash("sha256").update(readFileSync(schemaPath)).digest("hex");
if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash && !process.argv.includes("--force")) {
  console.log("prisma client is up to date");
} else {
  prisma(["generate", "--schema", schemaPath]);
  writeFileSync(stamp, hash);
}
