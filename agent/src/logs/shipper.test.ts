// The shipper against the real Redis, as the host's own ACL user, on real files.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { appendFile, mkdir, mkdtemp, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHostRedisUser, deleteHostRedisUser } from "@berth/api";
import { testRedisUrl } from "@berth/api/testing";
import { logStreamKey } from "@berth/contracts";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Log } from "../log";
import { waitFor } from "../testing";
import { createLogShipper, type LogShipper, watchDirectory } from "./index";
import { splitLines } from "./split";

const prefix = `berth-test-logs-${randomBytes(4).toString("hex")}`;
const hostId = randomUUID();
let admin: Redis;
let agentRedis: Redis;
let user: { username: string; password: string };
let dir: string;
const shippers: LogShipper[] = [];

beforeAll(async () => {
  admin = new Redis(testRedisUrl);
  user = await createHostRedisUser(admin, { hostId, prefix });
  agentRedis = new Redis(testRedisUrl, { username: user.username, password: user.password });
  dir = await mkdtemp(join(tmpdir(), "berth-logs-"));
});

afterEach(async () => {
  await Promise.all(shippers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  agentRedis?.disconnect();
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length) await admin.del(...keys);
  await deleteHostRedisUser(admin, hostId).catch(() => {});
  admin?.disconnect();
  await rm(dir, { recursive: true, force: true });
});

const ship = (opts: Partial<Parameters<typeof createLogShipper>[0]> = {}) => {
  const s = createLogShipper({ redis: agentRedis, hostId, prefix, pollMs: 50, ...opts });
  shippers.push(s);
  return s;
};
const newInstance = async () => {
  const id = randomUUID();
  await mkdir(join(dir, id));
  return { id, file: join(dir, id, "console.log") };
};
const linesOf = async (id: string) =>
  (await admin.xrange(logStreamKey(prefix, hostId, id), "-", "+")).map(([, f]) => f[1] as string);
const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `line ${from + i}`);
const write = (file: string, lines: string[]) => appendFile(file, lines.map((l) => `${l}\n`).join(""));
const until = (id: string, n: number) =>
  waitFor(async () => (await linesOf(id)).length >= n, { what: `${n} lines of ${id}`, timeoutMs: 20_000 });

describe("splitLines", () => {
  it("keeps a partial last line for later, cuts long lines, drops NUL holes and CRs", () => {
    expect(splitLines(Buffer.from("a\r\nb\npart"), 100, false)).toEqual({ lines: ["a", "b"], consumed: 5 });
    expect(splitLines(Buffer.from("part"), 100, true)).toEqual({ lines: ["part"], consumed: 4 });
    expect(splitLines(Buffer.from("abcdefg\n"), 3, false)).toEqual({
      lines: ["abc", "def", "g"],
      consumed: 8,
    });
    expect(splitLines(Buffer.from("\0\0\0x\n\0\0\n"), 100, false)).toEqual({ lines: ["x"], consumed: 8 });
  });
});

describe("log shipper", () => {
  it("ships the lines written to a file, with the host's own ACL user, in order", async () => {
    const { id, file } = await newInstance();
    const s = ship();
    s.watch(id, file); // before the file exists: the driver creates it when the workload starts
    await write(file, numbered(0, 100));
    await until(id, 100);
    await appendFile(file, "a line not finished ");
    await new Promise((r) => setTimeout(r, 200));
    expect(await linesOf(id)).toHaveLength(100); // the workload is still writing it
    await appendFile(file, "until now\n");
    await until(id, 101);
    expect(await linesOf(id)).toEqual([...numbered(0, 100), "a line not finished until now"]);
  });

  it("continues after a restart from the stored offset, without loss or duplicates", async () => {
    const { id, file } = await newInstance();
    const first = ship();
    first.watch(id, file);
    await write(file, numbered(0, 50));
    await until(id, 50);
    await appendFile(file, "half a li");
    await first.close(); // a new object with nothing but Redis and the file, like a restarted agent
    await appendFile(file, "ne\n");
    await write(file, numbered(50, 80));
    const second = ship();
    second.watch(id, file);
    await until(id, 81);
    await second.flush();
    expect(await linesOf(id)).toEqual([...numbered(0, 50), "half a line", ...numbered(50, 80)]);
  });

  it("loses and repeats nothing across kill -9 of the shipping process, twice", async () => {
    const { id, file } = await newInstance();
    const fixture = fileURLToPath(new URL("./ship-process.fixture.ts", import.meta.url));
    const args = JSON.stringify({ url: testRedisUrl, ...user, hostId, prefix, instanceId: id, file });
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await write(file, numbered(written, written + 10));
        written += 10;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      for (let round = 0; round < 2; round++) {
        const child = spawn(process.execPath, ["--import", "tsx", fixture, args], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        try {
          await once(child.stdout, "data");
          const before = (await linesOf(id)).length;
          await waitFor(async () => (await linesOf(id)).length > before + 100, {
            what: "lines from the child",
          });
        } finally {
          child.kill("SIGKILL");
          await once(child, "exit");
        }
      }
    } finally {
      writing = false;
      await writer;
    }
    ship().watch(id, file);
    await until(id, written);
    await new Promise((r) => setTimeout(r, 200));
    expect(written).toBeGreaterThan(200);
    expect(await linesOf(id)).toEqual(numbered(0, written));
  });

  it("keeps about maxLines per instance", async () => {
    const { id, file } = await newInstance();
    ship({ maxLines: 100 }).watch(id, file);
    await write(file, numbered(0, 2000));
    await waitFor(async () => (await linesOf(id)).at(-1) === "line 1999", { what: "the last line" });
    const len = await admin.xlen(logStreamKey(prefix, hostId, id));
    // MAXLEN ~ trims whole stream nodes (100 entries each by default): never far above the bound
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThanOrEqual(200);
    expect(await admin.pttl(logStreamKey(prefix, hostId, id))).toBeGreaterThan(0);
  });

  it("starts over when someone truncates the file, and bounds the file itself", async () => {
    const { id, file } = await newInstance();
    const s = ship({ truncateAtBytes: 0 });
    s.watch(id, file);
    await write(file, numbered(0, 20));
    await until(id, 20);
    await truncate(file, 0);
    await write(file, ["after truncation"]);
    await until(id, 21);
    expect((await linesOf(id)).at(-1)).toBe("after truncation");

    const { id: id2, file: file2 } = await newInstance();
    ship({ truncateAtBytes: 1000 }).watch(id2, file2);
    await write(file2, numbered(0, 200)); // ~1,900 bytes
    await until(id2, 200);
    await waitFor(async () => (await stat(file2)).size === 0, { what: "the shipped file truncated" });
    await write(file2, numbered(200, 210)); // appended, so it lands at the new start
    await until(id2, 210);
    expect(await linesOf(id2)).toEqual(numbered(0, 210));
  });

  it("finishes a file renamed away before following its replacement", async () => {
    const { id, file } = await newInstance();
    const s = ship();
    s.watch(id, file);
    await write(file, numbered(0, 5));
    await until(id, 5);
    await write(file, numbered(5, 10));
    await rename(file, `${file}.1`);
    await writeFile(file, "new 0\n");
    await until(id, 11);
    expect(await linesOf(id)).toEqual([...numbered(0, 10), "new 0"]);
  });

  it("picks up instance directories at once and ships a removed instance's last partial line", async () => {
    const s = ship();
    // no rescans by interval within the test: inotify on the directory must find the instance
    const stop = watchDirectory(s, dir, { intervalMs: 60_000 });
    try {
      const { id, file } = await newInstance();
      await write(file, ["hello"]);
      await until(id, 1);
      expect(s.watching()).toContain(id);
      await appendFile(file, "goodbye");
      await rm(join(dir, id), { recursive: true });
      await until(id, 2);
      expect(await linesOf(id)).toEqual(["hello", "goodbye"]);
      await waitFor(async () => !s.watching().includes(id), { what: "the instance unwatched" });
    } finally {
      stop();
    }
  });

  it("deletes the stream on request", async () => {
    const { id, file } = await newInstance();
    const s = ship();
    s.watch(id, file);
    await write(file, ["x"]);
    await until(id, 1);
    await s.unwatch(id, { deleteStream: true });
    expect(await admin.exists(logStreamKey(prefix, hostId, id))).toBe(0);
  });

  it("cannot write another host's stream: the ACL user is confined to its own", async () => {
    const other = randomUUID();
    await expect(
      agentRedis.xadd(logStreamKey(prefix, other, randomUUID()), "*", "line", "x"),
    ).rejects.toThrow(/NOPERM/);
    const { id, file } = await newInstance();
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m) } as unknown as Log;
    ship({ hostId: other, log }).watch(id, file);
    await write(file, ["stolen"]);
    await waitFor(async () => warnings.length > 0, { what: "a refused batch" });
    expect(await admin.exists(logStreamKey(prefix, other, id))).toBe(0);
  });
});
