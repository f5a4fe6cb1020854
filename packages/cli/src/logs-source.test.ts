import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createClient } from "./client";
import { fetchLines, fillRoute, findLogsRoute, followLines, toEntries, toLines } from "./logs-source";

/** A stand-in server that has grown a log API, to show the plug-in point works end to end. */
async function withServer(paths: string[], fn: (url: string) => Promise<void>) {
  const server = createServer((req, res) => {
    if (req.url === "/api/v1/openapi.json") {
      res.setHeader("content-type", "application/json");
      return res.end(JSON.stringify({ paths: Object.fromEntries(paths.map((p) => [p, {}])) }));
    }
    if (req.url?.endsWith("/gone/logs?follow=true")) {
      res.setHeader("content-type", "text/event-stream");
      res.write('data: {"line":"last words"}\n\n');
      res.write('event: end\ndata: {"code":"NOT_FOUND","message":"deployment not found"}\n\n');
      return res.end();
    }
    if (req.url?.endsWith("/logs?follow=true")) {
      res.setHeader("content-type", "text/event-stream");
      res.write('data: {"line":"first"}\n\n');
      res.write("data: second\r\n\r\n: comment\n\n");
      return res.end();
    }
    if (req.url?.endsWith("/logs")) {
      res.setHeader("content-type", "application/json");
      return res.end(JSON.stringify([{ line: "a" }, "b"]));
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ code: "NOT_FOUND", message: "no route" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
  }
}

describe("log source", () => {
  it("finds a /logs route in the OpenAPI document, and none when there is none", async () => {
    const route = "/tenants/{tenantId}/deployments/{deploymentId}/logs";
    await withServer(["/tenants/{tenantId}/deployments", route], async (url) => {
      const client = createClient({ url, token: "t" });
      expect(await findLogsRoute(client)).toBe(route);
      const path = fillRoute(route, { tenantId: "t1", deploymentId: "d1" });
      expect(path).toBe("/tenants/t1/deployments/d1/logs");
      expect(await fetchLines(client, path ?? "")).toEqual(["a", "b"]);
      const lines: string[] = [];
      await followLines(client, path ?? "", (l) => lines.push(l));
      expect(lines).toEqual(["first", "second"]);
      const more: string[] = [];
      await expect(
        followLines(client, "/tenants/t1/deployments/gone/logs", (l) => more.push(l)),
      ).rejects.toThrow("the log stream ended: deployment not found");
      expect(more).toEqual(["last words"]);
    });
    await withServer(["/tenants/{tenantId}/deployments"], async (url) => {
      expect(await findLogsRoute(createClient({ url, token: "t" }))).toBeNull();
    });
  });

  it("keeps the instance of each line when the server names it", () => {
    const body = {
      lines: [{ instanceId: "i1", ts: "2026-01-01T00:00:00.000Z", line: "up", id: "1-0" }, "bare"],
    };
    expect(toEntries(body)).toEqual([{ line: "up", instanceId: "i1" }, { line: "bare" }]);
  });

  it("does not fill a route needing values it lacks; reads common line shapes", () => {
    expect(fillRoute("/hosts/{hostId}/logs", { tenantId: "t" })).toBeNull();
    expect(toLines({ lines: ["x", { message: "y" }] })).toEqual(["x", "y"]);
  });
});
