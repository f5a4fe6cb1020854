// Test helpers: the REST API over node:http (what the web app's route handlers are), and polling.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleNodeRest } from "@berth/api";
import type { Harness } from "@berth/api/testing";

export async function serveRest(
  h: Harness,
  opts: {
    /** Sees each request's method, path and body before the API does (what an agent sent). */
    onRequest?: (r: { method: string; path: string; body: Buffer }) => void;
  } = {},
): Promise<{ server: Server; base: string }> {
  const server = createServer(async (req, res) => {
    await handleNodeRest(h.deps, req, res, {
      onBody: (body) => opts.onRequest?.({ method: req.method ?? "GET", path: req.url ?? "/", body }),
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Polls until `check` returns something truthy; fails with the last value seen. */
export async function waitFor<T>(
  check: () => Promise<T>,
  opts: { timeoutMs?: number; what: string },
): Promise<Exclude<T, false | null | undefined | "">> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as Exclude<T, false | null | undefined | "">;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${opts.what}; last: ${JSON.stringify(last)}`);
}
