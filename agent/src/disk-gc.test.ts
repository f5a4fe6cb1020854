// The disk sweep on real files: the image store pulling from the local registry, micro-VM root
// disks built by mkfs.ext4, and what is in use read by a real microvm driver from the records its
// launch writes (no VM is booted here: integration.test.ts boots one and sweeps around it). Time
// passing is an older last-used time and an older mtime, set on the real files.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskGc, type DiskGcPolicy, diskUsedPct } from "./disk-gc";
import { createMicrovmDriver } from "./drivers/microvm";
import { ensureRootfs } from "./drivers/microvm/guest";
import type { VmRecord } from "./drivers/microvm/records";
import { type OciImageStore, type PulledImage, parseRef } from "./images";
import { HELLO, NOTES, requireExampleImages, testStores } from "./images/testing";
import { createLog, type Fields } from "./log";
import { createInstanceNetwork } from "./net";

const stores = testStores();
const DAY = 86_400_000;
const lines: { level: string; msg: string; fields?: Fields }[] = [];
const log = {
  ...createLog({ level: "error" }),
  info: (msg: string, fields?: Fields) => lines.push({ level: "info", msg, fields }),
  warn: (msg: string, fields?: Fields) => lines.push({ level: "warn", msg, fields }),
};

beforeAll(requireExampleImages);
afterAll(() => stores.cleanup());

/** A store, a microvm driver over its own data dir (only its records are read) and a sweeper. */
async function host(policy: Partial<DiskGcPolicy & { checkMs: number }> = {}) {
  const { store, dataDir } = await stores.create();
  const microvmDir = join(dataDir, "microvm");
  const driver = createMicrovmDriver({
    dataDir: microvmDir,
    images: store,
    network: createInstanceNetwork({ dataDir: join(dataDir, "net"), log }),
    accelerator: "tcg",
    log,
  });
  const gc = new DiskGc({
    intervalMs: 0,
    unusedMs: 7 * DAY,
    minAgeMs: 10 * 60_000,
    highPct: 100,
    lowPct: 99,
    ...policy,
    driver,
    images: store,
    microvmDir,
    dataDir,
    log,
  });
  const rootfsOf = (image: PulledImage) => ensureRootfs({ image, cacheDir: join(microvmDir, "rootfs") });
  /** A run of `image` as the microvm launch records it; `ended` as stop leaves it. */
  const vm = async (id: string, image: PulledImage, ended = false) => {
    const dir = join(microvmDir, "instances", id);
    await mkdir(dir, { recursive: true });
    const r: VmRecord = {
      instanceId: id,
      generation: 1,
      tenantId: "t",
      uid: 100000,
      gid: 100000,
      tap: "bt-none",
      endpoints: [],
      accelerator: "tcg",
      startedAt: new Date().toISOString(),
      consoleOffset: 0,
      image: image.digest,
      ...(ended ? { ended: { state: "stopped" as const, at: new Date().toISOString() } } : {}),
    };
    await writeFile(join(dir, "record.json"), JSON.stringify(r));
  };
  return { store, dataDir, microvmDir, driver, gc, rootfsOf, vm };
}

/** Makes `ref` and `files` look last used `ms` ago. */
async function age(store: OciImageStore, ms: number, refs: string[], files: string[] = []) {
  const then = Date.now() - ms;
  for (const ref of refs) await store.lastUsed.touch(parseRef(ref).canonical, then);
  for (const f of files) await utimes(f, new Date(then), new Date(then));
}

const ext4 = (file: string) => execFileSync("dumpe2fs", ["-h", file], { stdio: "pipe" }).toString();
const canonical = (ref: string) => parseRef(ref).canonical;

describe("the disk sweep", () => {
  it("keeps what a live micro-VM uses and what was used lately, deletes the unused and old", async () => {
    const { store, gc, rootfsOf, vm } = await host();
    const hello = await store.ensure(HELLO);
    const notes = await store.ensure(NOTES);
    const [helloDisk, notesDisk] = [await rootfsOf(hello), await rootfsOf(notes)];
    await vm("runs-hello", hello);

    // Both used just now: nothing goes, though nothing but hello is in use.
    expect(await gc.sweep("test")).toMatchObject({ images: [], blobs: 0, layers: 0, vmFiles: 0, bytes: 0 });

    // A week and a day later: hello is still in use, notes is not.
    await age(store, 8 * DAY, [HELLO, NOTES], [helloDisk, notesDisk]);
    const r = await gc.sweep("test");
    expect(r).toMatchObject({ images: [canonical(NOTES)], blobs: 3, layers: 1, vmFiles: 1 });
    expect(r.bytes).toBeGreaterThan(64 * 2 ** 20); // the root disk has 64 MiB of headroom alone
    expect(existsSync(notesDisk)).toBe(false);
    expect(ext4(helloDisk)).toMatch(/Filesystem volume name:\s+berth-root/);
    for (const l of hello.layers) expect(existsSync(l)).toBe(true);
    for (const l of notes.layers.slice(1)) expect(existsSync(l)).toBe(false);
    expect(await store.layout.lookup(canonical(HELLO))).toBeDefined();
    expect(await store.layout.lookup(canonical(NOTES))).toBeUndefined();
    const line = lines.filter((l) => l.msg === "disk sweep").at(-1);
    expect(line).toMatchObject({ level: "info", fields: { images: 1, blobs: 3, layers: 1, vmFiles: 1 } });
    expect(line?.fields?.freedBytes).toBe(r.bytes);

    // Unused but used three days ago: stays (the unused age is a week).
    await age(store, 3 * DAY, [HELLO], [helloDisk]);
    await vm("runs-hello", hello, true);
    expect(await gc.sweep("test")).toMatchObject({ images: [], blobs: 0, layers: 0, vmFiles: 0 });
    expect(existsSync(helloDisk)).toBe(true);
  });

  it("deletes the root disk and image of a micro-VM once its run ended or its instance is gone", async () => {
    const { store, microvmDir, driver, gc, rootfsOf, vm } = await host();
    const hello = await store.ensure(HELLO);
    const disk = await rootfsOf(hello);
    await vm("a", hello);
    await vm("b", hello);
    expect((await driver.imagesInUse()).digests).toEqual([hello.digest, hello.digest]);
    await age(store, 30 * DAY, [HELLO], [disk]);
    expect((await gc.sweep("test")).vmFiles).toBe(0);

    await vm("a", hello, true); // stopped
    expect((await gc.sweep("test")).vmFiles).toBe(0); // b still runs it
    const { rm } = await import("node:fs/promises");
    await rm(join(microvmDir, "instances", "b"), { recursive: true });
    expect((await driver.imagesInUse()).digests).toEqual([]);
    const r = await gc.sweep("test");
    expect(r).toMatchObject({ images: [canonical(HELLO)], vmFiles: 1 });
    expect(existsSync(disk)).toBe(false);
    expect(await readdir(store.layersDir)).toEqual([]);
    expect(await readdir(join(store.layout.blobs, "sha256"))).toEqual([]);
    // A redeploy after the sweep pulls and builds again.
    expect(ext4(await rootfsOf(await store.ensure(HELLO)))).toMatch(/berth-root/);
  });

  it("deletes nothing while a live run's record does not name its image", async () => {
    const { store, microvmDir, gc, rootfsOf } = await host();
    const notes = await store.ensure(NOTES);
    const disk = await rootfsOf(notes);
    await age(store, 30 * DAY, [NOTES], [disk]);
    const dir = join(microvmDir, "instances", "old-agent");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "record.json"), JSON.stringify({ instanceId: "old-agent", generation: 1 }));
    const r = await gc.sweep("test");
    expect(r.skipped).toMatch(/old-agent/);
    expect(r).toMatchObject({ images: [], blobs: 0, vmFiles: 0 });
    expect(existsSync(disk)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ level: "warn", msg: "disk sweep" });
  });

  it("above the high-water mark, also deletes the least recently used unused image, not younger than the grace", async () => {
    const pct = (await diskUsedPct(await stores.tempDir())) ?? 0;
    // A mark the disk is above, and a low mark it will stay above: every candidate goes, oldest first.
    const { store, gc, rootfsOf } = await host({ highPct: 1, lowPct: 0, unusedMs: 30 * DAY });
    expect(pct).toBeGreaterThan(1);
    const hello = await store.ensure(HELLO);
    const notes = await store.ensure(NOTES);
    const [helloDisk, notesDisk] = [await rootfsOf(hello), await rootfsOf(notes)];
    await age(store, 2 * DAY, [NOTES], [notesDisk]);
    await age(store, 60_000, [HELLO], [helloDisk]); // a minute ago: within the 10-minute grace
    const r = await gc.sweep("test");
    expect(r.images).toEqual([canonical(NOTES)]);
    expect(r.vmFiles).toBe(1);
    expect(existsSync(notesDisk)).toBe(false);
    expect(existsSync(helloDisk)).toBe(true);
    for (const l of hello.layers) expect(existsSync(l)).toBe(true);
  });

  it("runs on its own: every interval, and at once when the disk is above the high-water mark", async () => {
    const sweeps = () => lines.filter((l) => l.msg === "disk sweep").map((l) => l.fields?.reason);
    const timed = (await host({ intervalMs: 150, checkMs: 20 })).gc;
    const before = sweeps().length;
    timed.start();
    await new Promise((r) => setTimeout(r, 700));
    await timed.stop();
    const ran = sweeps().slice(before);
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ran)).toEqual(new Set(["interval"]));
    await new Promise((r) => setTimeout(r, 200));
    expect(sweeps().length - before, "nothing after stop").toBe(ran.length);

    // An hour's interval, but the disk is above a 1 % mark: the first check sweeps (once: a
    // pressure sweep that cannot get below the mark waits minutes before the next).
    const pressed = (await host({ intervalMs: 3_600_000, checkMs: 20, highPct: 1, lowPct: 0 })).gc;
    const n = sweeps().length;
    pressed.start();
    await new Promise((r) => setTimeout(r, 300));
    await pressed.stop();
    expect(sweeps().slice(n)).toEqual(["disk"]);
  });

  it("never takes the image or root disk of a start that ensures them while it sweeps", async () => {
    // Every unused thing is old at once; only the grace keeps what a start just asked for.
    const { store, gc, rootfsOf } = await host({ unusedMs: 0, minAgeMs: 5 * 60_000 });
    for (let round = 0; round < 3; round++) {
      const old = await store.ensure(NOTES);
      const oldDisk = await rootfsOf(old);
      await age(store, DAY, [NOTES], [oldDisk]);
      // The start is asked first, the sweep right after: it must wait for the start's ensure and
      // then see NOTES as just used.
      const start = store.ensure(NOTES).then(async (image) => ({ image, disk: await rootfsOf(image) }));
      const [{ image, disk }] = await Promise.all([start, gc.sweep("test")]);
      for (const l of image.layers) expect(existsSync(l), `round ${round}: ${l}`).toBe(true);
      expect(ext4(disk)).toMatch(/berth-root/);
      expect(await store.layout.lookup(canonical(NOTES))).toBeDefined();
    }
  });
});
