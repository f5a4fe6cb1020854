import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/client";

export * from "./generated/client";

/**
 * The Prisma client over node-postgres; no Prisma engine binary is involved.
 *
 * A connection Postgres drops (a restart, pg_terminate_backend) makes its pg client emit 'error',
 * and an 'error' event nobody listens to is an uncaught exception that ends the process. pg-pool
 * listens only while a client sits idle in the pool, and the adapter only inside transactions, so
 * every client gets a listener of its own for its whole life: the statement in flight fails on
 * its own (the API answers 503), and the pool replaces the broken client.
 */
export function createDb(connectionString: string, opts: { max?: number } = {}) {
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10, connectionTimeoutMillis: 5_000 });
  pool.on("connect", (client) => client.on("error", () => {}));
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}

export type Db = ReturnType<typeof createDb>;
