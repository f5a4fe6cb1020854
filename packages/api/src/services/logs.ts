import { type LogLineDto, logStreamKey } from "@berth/contracts";
import type { Db } from "@berth/db";
import type { Redis } from "ioredis";
import { notFound } from "../errors";
import type { ScopedDb } from "../scope";

/** An instance's log stream: where its agent ships its lines (see agent/src/logs). */
export type LogSource = { instanceId: string; key: string };

type Entry = [id: string, fields: string[]];

/**
 * The streams of a deployment's instances, through the tenant's scope (another tenant's deployment
 * is not found). An instance's stream is on the host it is assigned to now; one never placed has
 * none. With `earlierHosts`, streams an instance left on other hosts (it was moved when its host
 * went down: the lines from before are the ones that say why) are found too.
 */
export async function logSourcesOf(opts: {
  scope: ScopedDb;
  prefix: string;
  deploymentId: string;
  instanceId?: string;
  earlierHosts?: { db: Db; redis: Redis };
}): Promise<LogSource[]> {
  const d = await opts.scope.deployment.findFirst({
    where: { id: opts.deploymentId },
    select: { instances: { select: { id: true, hostId: true }, orderBy: { ordinal: "asc" } } },
  });
  if (!d) throw notFound("deployment");
  let instances = d.instances;
  if (opts.instanceId) {
    instances = instances.filter((i) => i.id === opts.instanceId);
    if (instances.length === 0) throw notFound("instance");
  }
  const current = instances.flatMap((i) =>
    i.hostId ? [{ instanceId: i.id, key: logStreamKey(opts.prefix, i.hostId, i.id) }] : [],
  );
  if (!opts.earlierHosts || instances.length === 0) return current;
  // Which host held which instance before is not recorded; a pipeline of EXISTS over the fleet's
  // hosts is cheap (one round trip; a few hundred hosts times a deployment's instances).
  const { db, redis } = opts.earlierHosts;
  const hosts = await db.host.findMany({ select: { id: true } });
  const taken = new Set(current.map((s) => s.key));
  const candidates = instances.flatMap((i) =>
    hosts
      .map((h) => ({ instanceId: i.id, key: logStreamKey(opts.prefix, h.id, i.id) }))
      .filter((s) => !taken.has(s.key)),
  );
  if (candidates.length === 0) return current;
  const pipeline = redis.pipeline();
  for (const c of candidates) pipeline.exists(c.key);
  const found = (await pipeline.exec()) ?? [];
  return [...current, ...candidates.filter((_, i) => found[i]?.[1] === 1)];
}

export function toLogLine(instanceId: string, [id, fields]: Entry): LogLineDto {
  let line = "";
  for (let f = 0; f + 1 < fields.length; f += 2) if (fields[f] === "line") line = fields[f + 1] ?? "";
  return { instanceId, id, ts: new Date(Number(id.split("-")[0])).toISOString(), line };
}

/** Entry ids are `<ms>-<seq>`: ordered by time across streams, by sequence within one. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

/**
 * The last `tail` lines of the given streams together (optionally only those shipped at `since` or
 * later), oldest first, and each stream's newest entry id: where following it continues from.
 */
export async function readLogLines(opts: {
  redis: Redis;
  sources: LogSource[];
  tail: number;
  since?: string;
}): Promise<{ lines: LogLineDto[]; cursors: Map<string, string> }> {
  const min = opts.since ? `${new Date(opts.since).getTime()}-0` : "-";
  // one transaction: a line shipped between the two reads would be behind the cursor yet not sent
  const pipeline = opts.redis.multi();
  for (const s of opts.sources) {
    pipeline.xrevrange(s.key, "+", min, "COUNT", opts.tail);
    pipeline.xrevrange(s.key, "+", "-", "COUNT", 1); // the newest entry, even one before `since`
  }
  const results = opts.sources.length ? ((await pipeline.exec()) ?? []) : [];
  const lines: LogLineDto[] = [];
  const cursors = new Map<string, string>();
  opts.sources.forEach((source, i) => {
    const [err, entries] = results[2 * i] ?? [];
    const [, newest] = results[2 * i + 1] ?? [];
    if (err) return; // not a stream (cannot happen with these keys): no lines
    cursors.set(source.key, (newest as Entry[] | undefined)?.[0]?.[0] ?? "0-0");
    for (const e of entries as Entry[]) lines.push(toLogLine(source.instanceId, e));
  });
  lines.sort((a, b) => compareIds(a.id, b.id));
  return { lines: lines.slice(-opts.tail), cursors };
}

export async function readDeploymentLogs(opts: {
  scope: ScopedDb;
  db: Db;
  redis: Redis;
  prefix: string;
  deploymentId: string;
  instanceId?: string;
  tail: number;
  since?: string;
}) {
  const sources = await logSourcesOf({ ...opts, earlierHosts: { db: opts.db, redis: opts.redis } });
  return readLogLines({ ...opts, sources });
}
