import type { Deps } from "./deps";

type Probe = { ok: boolean; latencyMs: number; error?: string };

async function probe(fn: () => Promise<unknown>, timeoutMs: number): Promise<Probe> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - start) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - start), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(deps: Pick<Deps, "db" | "redis">, timeoutMs = 2_000) {
  const [postgres, redis] = await Promise.all([
    probe(() => deps.db.$queryRawUnsafe("SELECT 1"), timeoutMs),
    probe(() => deps.redis.ping(), timeoutMs),
  ]);
  return { status: postgres.ok && redis.ok ? ("ok" as const) : ("unavailable" as const), postgres, redis };
}

/** GET /api/health: 200 when Postgres and Redis both answer, 503 with Retry-After otherwise. */
export async function healthResponse(deps: Pick<Deps, "db" | "redis">): Promise<Response> {
  const h = await checkHealth(deps);
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  if (h.status !== "ok") headers["retry-after"] = "5";
  return new Response(JSON.stringify(h), { status: h.status === "ok" ? 200 : 503, headers });
}
