import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { execOk } from "./exec";
import { collectGarbage } from "./gc";
import { type ImageEvent, OciImageStore } from "./store";
import { HELLO, NOTES, requireExampleImages } from "./testing";

let dataDir = "";
let store: OciImageStore;
let events: ImageEvent[] = [];

beforeAll(requireExampleImages);

async function fresh() {
  dataDir = await mkdtemp(join(tmpdir(), "berth-images-"));
  events = [];
  store = new OciImageStore({ dataDir, onEvent: (e) => events.push(e) });
}

afterEach(async () => {
  for (const id of await readdir(store.instancesDir).catch(() => [])) {
    await store.unmountInstance(id, { remove: true });
  }
  await rm(dataDir, { recursive: true, force: true });
});

const blobs = async () => (await readdir(join(store.layout.blobs, "sha256"))).length;
const layers = async () => (await readdir(store.layersDir)).length;

describe("collectGarbage", () => {
  it("removes what only a forgotten image used and keeps the shared base", async () => {
    await fresh();
    const hello = await store.ensure(HELLO);
    const notes = await store.ensure(NOTES);
    expect([await blobs(), await layers()]).toEqual([7, 3]);
    expect(await store.collectGarbage()).toEqual({ blobs: 0, layers: 0, bytes: 0 });

    await store.forget(NOTES);
    const report = await store.collectGarbage();
    // notes' manifest, config and own layer; its unpacked layer directory.
    expect(report).toMatchObject({ blobs: 3, layers: 1 });
    expect(report.bytes).toBeGreaterThan(0);
    expect([await blobs(), await layers()]).toEqual([4, 2]);
    expect(existsSync(notes.layers[1] ?? "")).toBe(false);
    expect(existsSync(hello.layers[0] ?? "")).toBe(true);
    // hello is whole: no pull, no unpack.
    events = [];
    expect(await store.ensure(HELLO)).toEqual(hello);
    expect(events).toEqual([]);
  });

  it("keeps the layers of an instance whose image was forgotten, until the instance goes", async () => {
    await fresh();
    const { rootfs, image } = await store.mountInstance("keeper", NOTES);
    await writeFile(join(rootfs, "data/notes.txt"), "still here\n");
    await store.forget(NOTES);
    expect((await store.collectGarbage()).layers).toBe(0);
    for (const l of image.layers) expect(existsSync(l)).toBe(true);
    expect(await readFile(join(rootfs, "bin/hello")).then((b) => b.length)).toBeGreaterThan(0);

    await store.unmountInstance("keeper", { remove: true });
    expect((await store.collectGarbage()).layers).toBe(2);
    expect([await blobs(), await layers()]).toEqual([0, 0]);
  });

  it("keeps a layer mounted elsewhere (a container's lower) and the digests it is told are in use", async () => {
    await fresh();
    const notes = await store.ensure(NOTES);
    const top = notes.layers[1] as string;
    // What the container level does with each layer (berth-idmap clones it onto lower/N).
    const lower = join(dataDir, "lower");
    await mkdir(lower);
    await execOk("mount", ["--bind", "-o", "ro", top, lower]);
    try {
      await store.forget(NOTES);
      // All four blobs (nothing else shares the base here); the base layer, not the mounted one.
      expect(await store.collectGarbage()).toMatchObject({ blobs: 4, layers: 1 });
      expect((await readdir(top)).length).toBeGreaterThan(0);
      expect(await readdir(lower)).toEqual(await readdir(top));
      expect(existsSync(notes.layers[0] as string)).toBe(false);
    } finally {
      await execOk("umount", [lower]);
    }
    expect((await store.collectGarbage()).layers).toBe(1);
    expect(await layers()).toBe(0);

    // Named in use, an image whose reference is gone keeps everything it needs.
    const hello = await store.ensure(HELLO);
    await store.forget(HELLO);
    expect(
      await collectGarbage({
        layout: store.layout,
        layersDir: store.layersDir,
        instancesDir: store.instancesDir,
        keep: [hello.digest],
      }),
    ).toEqual({ blobs: 0, layers: 0, bytes: 0 });
    expect(await store.collectGarbage()).toMatchObject({ blobs: 4, layers: 2 });
  });

  it("waits for pulls in progress, which never lose their layers to it", async () => {
    await fresh();
    const [image] = await Promise.all([
      store.ensure(NOTES),
      store.collectGarbage(),
      store.mountInstance("m", HELLO),
    ]);
    for (const l of image.layers) expect(existsSync(l)).toBe(true);
    expect(await store.collectGarbage()).toEqual({ blobs: 0, layers: 0, bytes: 0 });
    expect(existsSync(join(dataDir, "instances/m/merged/bin/hello"))).toBe(true);
  });
});
