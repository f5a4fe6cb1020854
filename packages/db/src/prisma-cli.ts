import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../../..");
export const schemaPath = path.join(repoRoot, "prisma/schema.prisma");

/**
 * Runs the Prisma CLI offline. Prisma downloads Rust engines unless these variables point at
 * an existing file; with prisma.config.ts (engine "js") generate and migrate diff run on WebAssembly.
 */
export function prisma(args: string[], opts: { capture?: boolean } = {}): string {
  const require = createRequire(import.meta.url);
  const bin = path.join(path.dirname(require.resolve("prisma/package.json")), "build/index.js");
  // Any existing file will do: with engine "js" (prisma.config.ts) these are never executed.
  const placeholder = schemaPath;
  const out = execFileSync(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    stdio: opts.capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    env: {
      ...process.env,
      PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
      PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
      DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    },
  });
  return out ?? "";
}
