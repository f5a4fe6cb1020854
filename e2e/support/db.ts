import pg from "pg";

/** Direct database access for what the UI deliberately cannot do (making an operator, faking a host). */
async function withDb<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = process.env.BERTH_E2E_DATABASE_URL;
  if (!url) throw new Error("BERTH_E2E_DATABASE_URL is not set: run the suite with `node e2e/run.mjs`");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function makeOperator(email: string) {
  return withDb(async (c) => {
    const res = await c.query(`INSERT INTO operator ("userId") SELECT id FROM "user" WHERE email = $1`, [
      email,
    ]);
    if (res.rowCount !== 1) throw new Error(`no user ${email} to promote`);
  });
}

/** A host row as an enrolled agent would leave it, so the hosts table has something to show. */
export function insertHost(h: {
  name: string;
  status: "ready" | "pending" | "down";
  cordoned?: boolean;
  accelerator?: string;
  heartbeatSecondsAgo?: number;
}) {
  return withDb((c) =>
    c.query(
      `INSERT INTO host (id, name, address, "cpuMillis", "memoryMiB", "maxInstances", "isolationLevels", accelerator, status, cordoned, "lastHeartbeatAt", "updatedAt")
       VALUES (gen_random_uuid(), $1, $2, 8000, 16384, 40, ARRAY['container','microvm']::"IsolationLevel"[], $3, $4::"HostStatus", $5, now() - make_interval(secs => $6), now())`,
      [
        h.name,
        `10.0.0.${Math.floor(Math.random() * 200) + 10}:7070`,
        h.accelerator ?? null,
        h.status,
        h.cordoned ?? false,
        h.heartbeatSecondsAgo ?? 7,
      ],
    ),
  );
}
