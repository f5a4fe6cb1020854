import { createContext } from "./context";
import type { Deps } from "./deps";
import { createCaller } from "./router";

// How often a stream looks for changes: the dashboard and `berth deployments get --watch` see a
// state change within this interval plus a query.
const POLL_MS = 250;
const KEEPALIVE_MS = 15_000;

/**
 * GET /api/v1/tenants/{tenantId}/deployments/{deploymentId}/events: server-sent events with the
 * deployment (and its instances) each time it changes, starting with its current state. Access
 * goes through the same tRPC procedure as a plain GET, so the same roles and tenant scoping apply.
 */
export async function deploymentEvents(
  deps: Deps,
  req: Request,
  ref: { tenantId: string; deploymentId: string },
) {
  const caller = createCaller(await createContext(deps, req.headers));
  const read = () => caller.deployments.get(ref);
  let first: Awaited<ReturnType<typeof read>>;
  try {
    first = await read();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const status =
      { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_REQUEST: 400 }[e.code ?? ""] ?? 500;
    return Response.json({ code: e.code, message: e.message }, { status });
  }
  const encoder = new TextEncoder();
  let timer: NodeJS.Timeout | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let last = JSON.stringify(first);
      let lastSent = Date.now();
      let busy = false;
      const send = (event: string, data: string) =>
        controller.enqueue(encoder.encode(`event: ${event}\ndata: ${data}\n\n`));
      send("deployment", last);
      timer = setInterval(async () => {
        if (busy) return;
        busy = true;
        try {
          const now = JSON.stringify(await read());
          if (now !== last) {
            last = now;
            lastSent = Date.now();
            send("deployment", now);
          } else if (Date.now() - lastSent > KEEPALIVE_MS) {
            lastSent = Date.now();
            controller.enqueue(encoder.encode(": keepalive\n\n"));
          }
        } catch (err) {
          const e = err as { code?: string; message?: string };
          send("end", JSON.stringify({ code: e.code, message: e.message }));
          clearInterval(timer);
          controller.close();
        } finally {
          busy = false;
        }
      }, POLL_MS);
      req.signal.addEventListener("abort", () => {
        clearInterval(timer);
        try {
          controller.close();
        } catch {}
      });
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
  });
}
