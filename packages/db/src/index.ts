import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export * from "./generated/client";

/** The Prisma client over node-postgres; no Prisma engine binary is involved. */
export function createDb(connectionString: string, opts: { max?: number } = {}) {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString, max: opts.max ?? 10, connectionTimeoutMillis: 5_000 }),
  });
}

export type Db = ReturnType<typeof createDb>;
