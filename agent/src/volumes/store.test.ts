// Real loop-mounted ext4 volumes: created once, owned by the tenant's mapped root, bounded by
// their size, and their data survives a release and a new store object (an agent restart).
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isMountPoint } from "../images/overlay";
import { VolumeStore } from "./store";

let dir: string;
const ids: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-vol-"));
});
afterAll(async () => {
  for (const id of ids) await new VolumeStore(dir).remove(id).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

it("creates a volume once, owned by the tenant's uid, and keeps its data across a restart", async () => {
  const store = new VolumeStore(dir);
  const volumeId = randomUUID();
  ids.push(volumeId);
  const req = { volumeId, sizeMiB: 32, uid: 231072, gid: 231072 };
  const [a, b] = await Promise.all([store.ensure(req), store.ensure(req)]);
  expect(a).toBe(b);
  expect(await isMountPoint(a)).toBe(true);
  const st = await stat(a);
  expect([st.uid, st.gid]).toEqual([231072, 231072]);
  await writeFile(join(a, "note.txt"), "kept");

  await store.release(volumeId);
  expect(await isMountPoint(a)).toBe(false);
  const again = await new VolumeStore(dir).ensure(req);
  expect(await readFile(join(again, "note.txt"), "utf8")).toBe("kept");
  expect(await store.list()).toContain(volumeId);
});

it("bounds the data by the volume's size", async () => {
  const store = new VolumeStore(dir);
  const volumeId = randomUUID();
  ids.push(volumeId);
  const mount = await store.ensure({ volumeId, sizeMiB: 16, uid: 0, gid: 0 });
  const err = await writeFile(join(mount, "big"), Buffer.alloc(40 * 1024 * 1024)).catch(
    (e: NodeJS.ErrnoException) => e,
  );
  expect((err as NodeJS.ErrnoException | undefined)?.code).toBe("ENOSPC");
  await store.remove(volumeId);
  expect(await store.list()).not.toContain(volumeId);
});

it("refuses an id that is not a uuid (no path tricks)", async () => {
  const store = new VolumeStore(dir);
  expect(() => store.ensure({ volumeId: "../etc", sizeMiB: 16, uid: 0, gid: 0 })).toThrow(/not a uuid/);
});
