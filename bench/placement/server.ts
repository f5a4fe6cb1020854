// The REST API over node:http on a free loopback port, as the web app's route handlers serve it
// (node:http → Request → handleRest), timing every request per route.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Deps, handleNodeRest } from "@berth/api";
import { routeKey, Timings } from "./stats";

export async function serveRest(deps: Deps): Promise<{ server: Server; base: string; timings: Timings }> {
  const timings = new Timings();
  const server = createServer(async (req, res) => {
    const t0 = performance.now();
    const key = routeKey(req.method ?? "GET", req.url ?? "/");
    try {
      const status = await handleNodeRest(deps, req, res);
      timings.add(status < 400 ? key : `${key} ${status}`, performance.now() - t0);
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
