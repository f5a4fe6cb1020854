import { createConnection } from "node:net";
import pg from "pg";

/** What an agent would do, without one: a host row, the deployment's instances running on it. */
export async function runOnFakeHost(
  deploymentId: string,
): Promise<{ hostId: string; instanceIds: string[] }> {
  const url = process.env.BERTH_E2E_DATABASE_URL;
  if (!url) throw new Error("BERTH_E2E_DATABASE_URL is not set: run the suite with `node e2e/run.mjs`");
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const host = await c.query<{ id: string }>(
      `INSERT INTO host (id, name, address, "cpuMillis", "memoryMiB", "maxInstances", "isolationLevels", status, "lastHeartbeatAt", "updatedAt")
       VALUES (gen_random_uuid(), 'logs-' || substr(md5(random()::text), 1, 8), '10.0.0.9:7070', 8000, 16384, 40,
               ARRAY['container']::"IsolationLevel"[], 'ready', now(), now()) RETURNING id`,
    );
    const hostId = host.rows[0]?.id ?? "";
    const rows = await c.query<{ id: string; ordinal: number }>(
      `UPDATE instance SET "hostId" = $1, state = 'running', "updatedAt" = now() WHERE "deploymentId" = $2
       RETURNING id, ordinal`,
      [hostId, deploymentId],
    );
    rows.rows.sort((a, b) => a.ordinal - b.ordinal);
    return { hostId, instanceIds: rows.rows.map((r) => r.id) };
  } finally {
    await c.end();
  }
}

/** XADD over a bare RESP connection, as the host's agent ships a line (the suite has no Redis client). */
export async function shipLine(hostId: string, instanceId: string, line: string): Promise<void> {
  const url = new URL(process.env.BERTH_E2E_REDIS_URL ?? "redis://127.0.0.1:6379/0");
  const prefix = process.env.BERTH_E2E_QUEUE_PREFIX;
  if (!prefix) throw new Error("BERTH_E2E_QUEUE_PREFIX is not set: run the suite with `node e2e/run.mjs`");
  const commands: string[][] = [];
  if (url.password)
    commands.push([
      "AUTH",
      ...(url.username ? [decodeURIComponent(url.username)] : []),
      decodeURIComponent(url.password),
    ]);
  if (url.pathname.slice(1)) commands.push(["SELECT", url.pathname.slice(1)]);
  commands.push(["XADD", `${prefix}:logs:${hostId}:${instanceId}`, "*", "line", line], ["QUIT"]);
  const payload = commands
    .map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`)
    .join("");
  // QUIT: Redis answers everything before it, then closes the connection
  const replies = await new Promise<string>((resolve, reject) => {
    const sock = createConnection({ host: url.hostname || "127.0.0.1", port: Number(url.port || 6379) });
    let text = "";
    sock.setEncoding("utf8");
    sock.on("error", reject);
    sock.on("connect", () => sock.write(payload));
    sock.on("data", (d) => {
      text += d;
    });
    sock.on("close", () => resolve(text));
  });
  const error = replies.split("\r\n").find((l) => l.startsWith("-"));
  if (error) throw new Error(`redis: ${error.slice(1)}`);
}
