import { deploymentLogsInput, type LogLineDto, logStreamKey } from "@berth/contracts";
import type { Redis } from "ioredis";
import { createContext } from "./context";
import type { Deps } from "./deps";
import { createCaller } from "./router";
import { scopedDb } from "./scope";
import { compareIds, type LogSource, logSourcesOf, readLogLines, toLogLine } from "./services/logs";

// New instances (a scale-up, a replacement) and lost access are noticed within this interval: a
// blocking read waits at most this long before the deployment is read again.
const REFRESH_MS = 1000;
const KEEPALIVE_MS = 15_000;
const BATCH = 500;
const final = new Set(["NOT_FOUND", "FORBIDDEN", "UNAUTHORIZED"]);

export const logsPath = /^\/api\/v1\/tenants\/([^/]+)\/deployments\/([^/]+)\/logs$/;

/** `follow=true` on the logs route: the stream below instead of one JSON answer. */
export function isLogsFollow(req: Request): { tenantId: string; deploymentId: string } | null {
  if (req.method !== "GET") return null;
  const url = new URL(req.url);
  const m = logsPath.exec(url.pathname);
  if (!m?.[1] || !m[2] || url.searchParams.get("follow") !== "true") return null;
  return { tenantId: decodeURIComponent(m[1]), deploymentId: decodeURIComponent(m[2]) };
}

/**
 * GET /api/v1/tenants/{tenantId}/deployments/{deploymentId}/logs?follow=true: server-sent events,
 * one per line (`data` a JSON line object), the last `tail` lines first, then each line as the
 * agents ship it. Access is checked by the same tRPC procedure as the JSON route, and again at every
 * refresh, so a member removed meanwhile stops receiving. Each follower has its own Redis
 * connection: XREAD BLOCK holds it.
 */
export async function deploymentLogs(
  deps: Deps,
  req: Request,
  ref: { tenantId: string; deploymentId: string },
): Promise<Response> {
  const caller = createCaller(await createContext(deps, req.headers));
  const q = new URL(req.url).searchParams;
  const input = {
    ...ref,
    ...(q.has("tail") ? { tail: q.get("tail") } : {}),
    ...(q.has("instanceId") ? { instanceId: q.get("instanceId") } : {}),
    ...(q.has("since") ? { since: q.get("since") } : {}),
  };
  const parsed = deploymentLogsInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = `${issue?.path.join(".") || "query"}: ${issue?.message}`;
    return Response.json({ code: "BAD_REQUEST", message }, { status: 400 });
  }
  const opts = parsed.data;
  // Following reads the streams on the instances' current hosts, through the same procedure as a
  // plain GET at every refresh (roles, scoping, and a deployment deleted meanwhile).
  const sourcesNow = async (): Promise<LogSource[]> => {
    const d = await caller.deployments.get(ref);
    return d.instances
      .filter((i) => i.hostId && (!opts.instanceId || i.id === opts.instanceId))
      .map((i) => ({ instanceId: i.id, key: logStreamKey(deps.queuePrefix, i.hostId ?? "", i.id) }));
  };
  let sources: LogSource[];
  let initial: LogSource[];
  try {
    // The JSON procedure authorizes: 404 for another tenant's deployment, 403 below its role.
    await caller.deployments.logs({ ...opts, tail: 1 });
    sources = await sourcesNow();
    // The first lines, like the JSON route, include what instances left on hosts they moved from.
    initial = await logSourcesOf({
      scope: scopedDb(deps.db, ref.tenantId),
      prefix: deps.queuePrefix,
      deploymentId: ref.deploymentId,
      instanceId: opts.instanceId,
      earlierHosts: { db: deps.db, redis: deps.redis },
    });
  } catch (err) {
    return errorResponse(err);
  }
  const first = await readLogLines({
    redis: deps.redis,
    sources: initial,
    tail: opts.tail,
    since: opts.since,
  });
  const cursors = first.cursors;

  const encoder = new TextEncoder();
  let conn: Redis | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    conn?.disconnect();
  };
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let lastSent = Date.now();
      const write = (text: string) => {
        lastSent = Date.now();
        controller.enqueue(encoder.encode(text));
      };
      const send = (l: LogLineDto) => write(`data: ${JSON.stringify(l)}\n\n`);
      req.signal.addEventListener("abort", stop);
      first.lines.forEach(send);
      conn = deps.redis.duplicate();
      conn.on("error", () => {}); // a disconnect on abort is expected; real errors end the loop
      let refreshed = Date.now();
      try {
        while (!stopped) {
          if (Date.now() - refreshed >= REFRESH_MS) {
            sources = await sourcesNow();
            refreshed = Date.now();
          }
          for (const s of sources) if (!cursors.has(s.key)) cursors.set(s.key, "0-0"); // new: all of it
          const keys = sources.map((s) => s.key);
          const result = keys.length
            ? ((await conn.xread(
                "COUNT",
                BATCH,
                "BLOCK",
                REFRESH_MS,
                "STREAMS",
                ...keys,
                ...keys.map((k) => cursors.get(k) ?? "0-0"),
              )) as [string, [string, string[]][]][] | null)
            : await new Promise<null>((r) => setTimeout(() => r(null), REFRESH_MS));
          const fresh: LogLineDto[] = [];
          for (const [key, entries] of result ?? []) {
            const source = sources.find((s) => s.key === key);
            const last = entries.at(-1);
            if (!source || !last) continue;
            cursors.set(key, last[0]);
            for (const e of entries) fresh.push(toLogLine(source.instanceId, e));
          }
          fresh.sort((a, b) => compareIds(a.id, b.id)).forEach(send);
          if (Date.now() - lastSent > KEEPALIVE_MS) write(": keepalive\n\n");
        }
      } catch (err) {
        // Access lost or the deployment gone: say so, and the client stops. Anything else (Redis or
        // Postgres away for a moment) just closes the stream: EventSource reconnects by itself.
        const e = err as { code?: string; message?: string };
        if (!stopped && final.has(e.code ?? ""))
          write(`event: end\ndata: ${JSON.stringify({ code: e.code, message: e.message })}\n\n`);
      } finally {
        stop();
        try {
          controller.close();
        } catch {}
      }
    },
    cancel: stop,
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream",
      // no-transform: Next.js compresses responses, which would hold events back until a buffer fills
      "cache-control": "no-store, no-transform",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    },
  });
}

function errorResponse(err: unknown): Response {
  const e = err as { code?: string; message?: string };
  const status = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_REQUEST: 400 }[e.code ?? ""] ?? 500;
  return Response.json({ code: e.code, message: e.message }, { status });
}
