import pg from "pg";

export type Placed = { ordinal: number; state: string; host: string | null; endpoints: string[] };

/**
 * Where a tenant's instances of one deployment are, as the control plane records it: the
 * hosts page shows counts, this says which instance is where (no page lists that per host).
 */
export async function placementOf(tenantId: string, deployment: string): Promise<Placed[]> {
  const url = process.env.BERTH_E2E_DATABASE_URL;
  if (!url) throw new Error("BERTH_E2E_DATABASE_URL is not set: run the suite with `node e2e/run.mjs`");
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<Placed>(
      `SELECT i.ordinal, i.state::text AS state, h.name AS host, i.endpoints
       FROM instance i JOIN deployment d ON d.id = i."deploymentId" LEFT JOIN host h ON h.id = i."hostId"
       WHERE i."tenantId" = $1 AND d.name = $2 AND i.state IN ('pending', 'scheduled', 'starting', 'running')
       ORDER BY i.ordinal`,
      [tenantId, deployment],
    );
    return r.rows;
  } finally {
    await c.end();
  }
}

/** The HTTP status an endpoint answers with, 0 when nothing answers. */
export async function statusOf(endpoint: string): Promise<number> {
  return fetch(`http://${endpoint}/`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => 0,
  );
}
