import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import { ControlPlane } from "./http";
import { backoffMs, parseRetryAfter } from "./retry";

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
let server: Server;
let base: string;
let replies: Reply[] = [];
let seen: { method?: string; url?: string; auth?: string; body: string }[] = [];

const hb = {
  capacity: { cpuMillis: 1000, memoryMiB: 1024, maxInstances: 1 },
  capabilities: {
    isolationLevels: [],
    accelerator: null,
    guestKernel: null,
    ociRuntime: null,
    cgroup: null,
    sim: false,
  },
  instances: [],
};

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    let body = "";
    for await (const c of req) body += c;
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
    const r = replies.shift() ?? { status: 500, body: { code: "INTERNAL", message: "no reply queued" } };
    res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
    res.end(r.body === undefined ? "" : typeof r.body === "string" ? r.body : JSON.stringify(r.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const setup = (rs: Reply[]) => {
  replies = rs;
  seen = [];
  return new ControlPlane({ server: base, hostToken: "bhost_t" });
};

describe("control plane client", () => {
  it("sends the host token and parses the answer", async () => {
    const cp = setup([{ status: 200, body: { stop: [], heartbeatIntervalMs: 5000 } }]);
    // an older control plane says nothing of volumes: none to delete
    expect(await cp.heartbeat(hb)).toEqual({ stop: [], removeVolumes: [], heartbeatIntervalMs: 5000 });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v1/agent/heartbeat", auth: "Bearer bhost_t" });
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual(hb);
  });

  it("retries a 503 after its Retry-After, and 5xx with backoff", async () => {
    const cp = setup([
      { status: 503, body: { code: "UNAVAILABLE", message: "db down" }, headers: { "retry-after": "1" } },
      { status: 502, body: "<html>bad gateway</html>" },
      { status: 200, body: { decision: "apply" } },
    ]);
    const t0 = Date.now();
    const id = randomUUID();
    expect(await cp.report({ instanceId: id, generation: 1, state: "running" })).toBe("apply");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(3);
  });

  it("never retries a 4xx, and names the server's code", async () => {
    const cp = setup([{ status: 400, body: { code: "BAD_REQUEST", message: "generation: too small" } }]);
    const err = await cp
      .report({ instanceId: randomUUID(), generation: 1, state: "running" })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "BAD_REQUEST" });
    expect(err.message).toMatch(/400 BAD_REQUEST: generation: too small/);
    expect(seen).toHaveLength(1);
  });

  it("reads a 404 instance as not assigned", async () => {
    const cp = setup([{ status: 404, body: { code: "NOT_FOUND", message: "instance" } }]);
    expect(await cp.instance(randomUUID())).toBeNull();
  });

  it("refuses an answer that breaks the contract", async () => {
    const cp = setup([{ status: 200, body: { decision: "maybe" } }]);
    await expect(cp.report({ instanceId: randomUUID(), generation: 1, state: "running" })).rejects.toThrow(
      /unexpected answer: decision/,
    );
  });

  it("gives up on an unreachable server after its tries, and stops waiting when aborted", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dead = new ControlPlane({ server: `http://127.0.0.1:${port}/`, hostToken: "t" });
    await expect(dead.heartbeat(hb)).rejects.toMatchObject({ code: "network" });
    const abort = new AbortController();
    const slow = new ControlPlane({ server: `http://127.0.0.1:${port}`, signal: abort.signal });
    const t0 = Date.now();
    const p = slow.report({ instanceId: randomUUID(), generation: 1, state: "running" });
    setTimeout(() => abort.abort(new Error("stopping")), 100);
    await expect(p).rejects.toThrow(/stopping/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("retry timing", () => {
  it("grows exponentially with jitter under a ceiling", () => {
    const p = { attempts: 5, baseMs: 100, maxMs: 1000 };
    expect(backoffMs(p, 0, () => 0)).toBe(50);
    expect(backoffMs(p, 3, () => 1)).toBe(800);
    expect(backoffMs(p, 10, () => 1)).toBe(1000);
  });

  it("reads Retry-After as seconds or a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
