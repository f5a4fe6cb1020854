// Test helpers: the REST API over node:http (what the web app's route handlers are), and polling.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleRest } from "@berth/api";
import type { Harness } from "@berth/api/testing";

export async function serveRest(
  h: Harness,
  opts: {
    /** Sees each request's method, path and body before the API does (what an agent sent). */
    onRequest?: (r: { method: string; path: string; body: Buffer }) => void;
  } = {},
): Promise<{ server: Server; base: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    opts.onRequest?.({ method: req.method ?? "GET", path: req.url ?? "/", body: Buffer.concat(chunks) });
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
      headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
    const hasBody = req.method !== "GET" && req.method !== "HEAD" && chunks.length > 0;
    const response = await handleRest(
      h.deps,
      new Request(new URL(req.url ?? "/", "http://127.0.0.1"), {
        method: req.method,
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
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
