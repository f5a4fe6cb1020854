// The REST API over node:http on a free loopback port, as the web app's route handlers serve it
// (node:http → Request → handleRest), timing every request per route.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Deps, handleRest } from "@berth/api";
import { routeKey, Timings } from "./stats";

export async function serveRest(deps: Deps): Promise<{ server: Server; base: string; timings: Timings }> {
  const timings = new Timings();
  const server = createServer(async (req, res) => {
    const t0 = performance.now();
    const key = routeKey(req.method ?? "GET", req.url ?? "/");
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
      const hasBody = req.method !== "GET" && req.method !== "HEAD" && chunks.length > 0;
      const response = await handleRest(
        deps,
        new Request(new URL(req.url ?? "/", "http://127.0.0.1"), {
          method: req.method,
          headers,
          body: hasBody ? Buffer.concat(chunks) : undefined,
        }),
      );
      const body = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(body);
      timings.add(response.status < 400 ? key : `${key} ${response.status}`, performance.now() - t0);
    } catch (err) {
      timings.add(`${key} threw`, performance.now() - t0);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "INTERNAL", message: (err as Error).message }));
    }
  });
  // a thousand agents keep connections open; let them
  server.maxConnections = 100_000;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timings };
}
