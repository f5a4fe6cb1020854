// The REST API over plain node:http, the way the web app's route handlers serve it (node:http →
// Request → handleRest): for tests, benchmarks and anything else that runs the API without Next.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Deps } from "./deps";
import { handleRest } from "./rest";

/**
 * Answers one request: the body is read whole, the response streamed (a server-sent event stream
 * does not end), and the request aborted when the client goes away. Resolves with the status once
 * the response has started; `onBody` sees what the client sent before the API does.
 */
export async function handleNodeRest(
  deps: Deps,
  req: IncomingMessage,
  res: ServerResponse,
  opts: { onBody?: (body: Buffer) => void } = {},
): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  opts.onBody?.(body);
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && body.length > 0;
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  const response = await handleRest(
    deps,
    new Request(new URL(req.url ?? "/", "http://127.0.0.1"), {
      method: req.method,
      headers,
      body: hasBody ? body : undefined,
      signal: abort.signal,
    }),
  );
  res.writeHead(response.status, Object.fromEntries(response.headers));
  void (async () => {
    try {
      const reader = response.body?.getReader();
      for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) res.write(r.value);
    } catch {
      // the client went away mid-stream
    }
    res.end();
  })();
  return response.status;
}
