// hello-unikernel through the real driver on a tap (tenant network, nftables DNAT), attacked over
// its published endpoint: random bytes on many connections, malformed HTTP, pipelined garbage,
// SYNs abandoned before and after the handshake, more idle connections than its TCP table holds,
// 200 concurrent GETs. It must never crash or hang: no exception or halt on the console, QEMU
// alive, and a plain GET answered promptly with the request counter still counting.
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciImageStore } from "../../images";
import { HELLO_UNIKERNEL, requireUnikernelImages } from "../../images/artifact-testing";
import { createLog } from "../../log";
import { createInstanceNetwork } from "../../net";
import { requireNetAndImageTools } from "../container/probekit";
import { instanceSpec, tempDir } from "../container/testkit";
import type { VmRecord } from "../microvm/records";
import { createUnikernelDriver, type UnikernelDriver } from "./index";
import { abandon, type Exchange, exchange, get, hold } from "./robustkit";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
// Apart from integration.test.ts's pools (10.200-224) and ports (18000-18999): both may run at once.
const pool = `10.${225 + randomInt(25)}.0.0/16`;
const portMin = 19000 + randomInt(40) * 25;
const log = createLog({ level: "warn" });
const spec = instanceSpec({
  instanceId: randomUUID(),
  tenantId: randomUUID(),
  name: "uk-robust",
  image: HELLO_UNIKERNEL,
  isolation: "unikernel",
  cpuMillis: 1000,
  memoryMiB: 64,
  ports: [{ port: 8080, protocol: "tcp" }],
});

let data = "";
let driver: UnikernelDriver;
let endpoint = "";
let last = 0; // the request counter of the last plain GET

const consoleText = () =>
  readFileSync(join(data, "unikernel/instances", spec.instanceId, "console.log"), "utf8");
const record = () =>
  JSON.parse(
    readFileSync(join(data, "unikernel/instances", spec.instanceId, "record.json"), "utf8"),
  ) as VmRecord;
/** In a pool of `limit` at a time. */
async function pooled<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) out[i] = await fn(i);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

beforeAll(async () => {
  requireNetAndImageTools();
  await requireUnikernelImages();
  execFileSync("make", ["-s", "-C", join(repoRoot, "native/jailer")]);
  data = await tempDir("berth-unikernel-robust-");
  const network = createInstanceNetwork({
    dataDir: join(data, "net"),
    subnet: pool,
    portRange: { min: portMin, max: portMin + 24 },
    log,
  });
  const images = new OciImageStore({ dataDir: join(data, "images") });
  driver = createUnikernelDriver({
    dataDir: join(data, "unikernel"),
    images,
    network,
    accelerator: "tcg",
    log,
  });
  const status = await driver.start(spec);
  expect(status.state, JSON.stringify(status)).toBe("running");
  endpoint = status.endpoints[0] as string;
  const first = await get(endpoint, 10_000);
  expect(first.status).toBe(200);
  last = first.counter;
});

afterAll(async () => {
  await driver?.stop(spec.instanceId, 0).catch(() => {});
  if (data) await rm(data, { recursive: true, force: true });
});

/** Every response a 4xx or 5xx status line (or none), and the server closed every connection. */
function expectRefusedAndClosed(results: Exchange[]) {
  for (const r of results) {
    expect(r.reply, JSON.stringify(r)).toMatch(/^(HTTP\/1\.1 [45]\d\d [^\r\n]*\r\n[\s\S]*)?$/);
    expect(r.closedByServer, JSON.stringify(r)).toBe(true);
  }
}

describe("hello-unikernel under abuse", () => {
  it("survives random bytes on 120 connections (refused or waited out, each closed)", async () => {
    const results = await pooled(120, 30, (i) =>
      // Up to 4 KiB with our FIN after it, and some beyond its 4 KiB head limit without one.
      i % 4 === 3
        ? exchange(endpoint, randomBytes(5000 + randomInt(4000)), { halfClose: false, waitMs: 8000 })
        : exchange(endpoint, randomBytes(1 + randomInt(4096)), { halfClose: true, waitMs: 8000 }),
    );
    expectRefusedAndClosed(results);
    // Beyond the head limit nothing can be a request: each of those got a status, not just a close.
    for (const r of results.filter((_, i) => i % 4 === 3)) expect(r.reply).toMatch(/^HTTP\/1\.1 4\d\d /);
  });

  it("answers malformed HTTP with the right error and closes", async () => {
    const big = (n: number) => "x".repeat(n);
    const cases: [string, string | Buffer, RegExp][] = [
      ["no spaces", "GARBAGE\r\n\r\n", / 400 /],
      ["bare method", "GET\r\n\r\n", / 400 /],
      ["absolute target", "GET http://x/ HTTP/1.1\r\n\r\n", / 400 /],
      ["control byte in target", "GET /\x01 HTTP/1.1\r\n\r\n", / 400 /],
      ["unknown version", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", / 505 /],
      ["long method", `${big(40)} / HTTP/1.1\r\n\r\n`, / 400 /],
      ["request line of 10 KB", `GET /${big(10_000)} HTTP/1.1\r\n\r\n`, / 431 /],
      ["one header of 8 KB", `GET / HTTP/1.1\r\nX-Big: ${big(8000)}\r\n\r\n`, / 431 /],
      [
        "64 headers",
        `GET / HTTP/1.1\r\n${Array.from({ length: 64 }, (_, i) => `H${i}: v\r\n`).join("")}\r\n`,
        / 431 /,
      ],
      ["header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", / 400 /],
      ["folded header", "GET / HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n", / 400 /],
      ["NUL in a header", Buffer.from("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", "latin1"), / 400 /],
      ["Content-Length: abc", "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", / 400 /],
      ["Content-Length: -1", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", / 400 /],
      ["Content-Length: 2^70", "POST / HTTP/1.1\r\nContent-Length: 1180591620717411303424\r\n\r\n", / 413 /],
      ["two Content-Lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", / 400 /],
      ["binary junk", Buffer.concat([randomBytes(300), Buffer.from("\r\n\r\n")]), / 400 /],
    ];
    const results = await Promise.all(
      cases.map(([, payload]) => exchange(endpoint, payload, { halfClose: false, waitMs: 8000 })),
    );
    results.forEach((r, i) => {
      const [name, , status] = cases[i] as (typeof cases)[number];
      expect(r.reply, name).toMatch(new RegExp(`^HTTP/1\\.1${status.source}`));
      expect(r.closedByServer, name).toBe(true);
    });
  });

  it("answers the good request of a pipeline, refuses the garbage after it and drops the rest", async () => {
    const ok = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const r = await exchange(endpoint, `${ok}\x00\xff\x7fjunk\r\n\r\n${ok}`, {
      halfClose: false,
      waitMs: 8000,
    });
    expect(r.closedByServer).toBe(true);
    expect(r.reply.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(["HTTP/1.1 200", "HTTP/1.1 400"]);
    expect(Number(r.reply.match(/request #(\d+)/)?.[1])).toBe(last + 1);
    // A body shorter than its Content-Length, then our FIN: refused (400) or dropped, never served.
    const short = await exchange(endpoint, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", {
      halfClose: true,
      waitMs: 8000,
    });
    expect(short.closedByServer).toBe(true);
    expect(short.reply).toMatch(/^(HTTP\/1\.1 400 [\s\S]*)?$/);
    const after = await get(endpoint, 5000);
    expect(after.counter).toBe(last + 2);
    last = after.counter;
  });

  it("shrugs off abandoned SYNs and handshakes reset at once", async () => {
    // destroy() right after connect(): our kernel answers the SYN-ACK with a RST (half-open slot).
    // resetAndDestroy() once connected: a RST on an established connection.
    const outcomes = await pooled(400, 50, (i) => abandon(endpoint, i % 2 === 0 ? "syn" : "established"));
    expect(outcomes.filter((o) => o === "established").length).toBeGreaterThan(100);
    const after = await get(endpoint, 5000);
    expect(after).toMatchObject({ status: 200, counter: last + 1 });
    last = after.counter;
  });

  it("makes room for a new client when idle hoarders fill its TCP table", async () => {
    // 300 connections that never send: more than its 256 slots. Once they have been quiet for
    // 2 s, each new SYN resets the longest-idle one instead of being refused.
    const hoard = await hold(endpoint, 300, 2500);
    try {
      expect(hoard.connected).toBeGreaterThanOrEqual(256);
      for (let i = 0; i < 5; i++) {
        const r = await get(endpoint, 5000);
        expect(r, JSON.stringify(r)).toMatchObject({ status: 200, counter: last + 1 });
        last = r.counter;
      }
    } finally {
      hoard.release();
    }
  });

  it("serves 200 concurrent GETs, each counted once, while 50 connections sit idle", async () => {
    const hoard = await hold(endpoint, 50, 500);
    try {
      const results = await Promise.all(Array.from({ length: 200 }, () => get(endpoint, 30_000)));
      const why = new Map<string, number>();
      for (const r of results)
        why.set(r.error ?? String(r.status), (why.get(r.error ?? String(r.status)) ?? 0) + 1);
      expect(
        results.filter((r) => r.status === 200),
        JSON.stringify([...why]),
      ).toHaveLength(200);
      const counters = results.map((r) => r.counter).sort((a, b) => a - b);
      expect(counters).toEqual(Array.from({ length: 200 }, (_, i) => last + 1 + i));
      last += 200;
      expect(hoard.connected).toBe(50);
    } finally {
      hoard.release();
    }
  });

  it("is still up: QEMU alive, nothing bad on the console, a plain GET answered promptly", async () => {
    const r = record();
    expect(() => process.kill(r.pid as number, 0)).not.toThrow();
    expect((await driver.inspect(spec.instanceId))?.state).toBe("running");
    const text = consoleText();
    expect(text).toMatch(/listening on \S+:8080/);
    expect(text).not.toMatch(/exception|halted/i);
    const t0 = performance.now();
    const final = await get(endpoint, 5000);
    expect(final).toMatchObject({ status: 200, counter: last + 1 });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
