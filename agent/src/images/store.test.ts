import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageError } from "./errors";
import { isMountPoint } from "./overlay";
import type { OciImageStore } from "./store";
import { HELLO, NOTES, REGISTRY, requireExampleImages, testStores } from "./testing";

const stores = testStores();

const blobCount = async (store: OciImageStore) => (await readdir(join(store.layout.blobs, "sha256"))).length;
const layerDirs = async (store: OciImageStore) =>
  (await readdir(store.layersDir)).filter((n) => !n.startsWith("."));

beforeAll(requireExampleImages);

afterAll(() => stores.cleanup());

describe("OciImageStore", () => {
  it("stores and unpacks the base layer shared by hello and notes once", async () => {
    const { store, events } = await stores.create();
    const hello = await store.ensure(HELLO);
    expect(hello.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(hello.config.entrypoint).toEqual(["/bin/hello"]);
    expect(hello.config.exposedPorts).toEqual(["8080/tcp"]);
    const manifest = await store.layout.readJson<{ layers: { digest: string }[] }>(hello.digest);
    const baseBlob = store.layout.blobPath(manifest.layers[0]?.digest ?? "");
    const baseInode = (await stat(baseBlob)).ino;

    const notes = await store.ensure(NOTES);
    expect(notes.config.entrypoint).toEqual(["/bin/hello", "notes"]);
    // Lowest layer first: both images sit on the same busybox layer directory.
    expect(notes.layers[0]).toBe(hello.layers[0]);
    expect(notes.layers[1]).not.toBe(hello.layers[1]);
    // 2 manifests + 2 configs + 3 distinct layers; the base blob was not written again.
    expect(await blobCount(store)).toBe(7);
    expect((await stat(baseBlob)).ino).toBe(baseInode);
    expect(await layerDirs(store)).toHaveLength(3);
    const unpacks = events.filter((e) => e.type === "unpack");
    expect(unpacks).toHaveLength(3);
    expect(events.filter((e) => e.type === "pull")).toHaveLength(2);
    expect(existsSync(join(hello.layers[0] ?? "", "bin/busybox"))).toBe(true);
  });

  it("gives each instance its own upper layer, invisible to the other and to the lower layers", async () => {
    const { store, dataDir } = await stores.create();
    const a = await store.mountInstance("inst-a", HELLO);
    const b = await store.mountInstance("inst-b", HELLO);
    expect(a.rootfs).not.toBe(b.rootfs);
    expect(await isMountPoint(a.rootfs)).toBe(true);
    expect(existsSync(join(a.rootfs, "bin/hello"))).toBe(true);

    await writeFile(join(a.rootfs, "tmp/only-a.txt"), "a\n");
    await writeFile(join(a.rootfs, "etc/passwd"), "changed in a\n");
    expect(existsSync(join(b.rootfs, "tmp/only-a.txt"))).toBe(false);
    expect(await readFile(join(b.rootfs, "etc/passwd"), "utf8")).toMatch(/^root:x:0:0/);
    for (const layer of a.image.layers) {
      expect(existsSync(join(layer, "tmp/only-a.txt"))).toBe(false);
      if (existsSync(join(layer, "etc/passwd")))
        expect(await readFile(join(layer, "etc/passwd"), "utf8")).toMatch(/^root:x:0:0/);
    }
    // The write went to a's upper directory, and nowhere else.
    expect(await readFile(join(dataDir, "instances/inst-a/upper/tmp/only-a.txt"), "utf8")).toBe("a\n");
    expect(existsSync(join(dataDir, "instances/inst-b/upper/tmp"))).toBe(false);
    // Mounting again is a no-op that returns the same rootfs.
    expect((await store.mountInstance("inst-a", HELLO)).rootfs).toBe(a.rootfs);
  });

  it("removes the upper layer with the instance, and keeps it on a plain unmount", async () => {
    const { store, dataDir } = await stores.create();
    const a = await store.mountInstance("keep", NOTES);
    const b = await store.mountInstance("drop", NOTES);
    await writeFile(join(a.rootfs, "data/notes.txt"), "kept\n");
    await writeFile(join(b.rootfs, "data/notes.txt"), "dropped\n");

    await store.unmountInstance("drop", { remove: true });
    expect(await isMountPoint(b.rootfs)).toBe(false);
    expect(existsSync(join(dataDir, "instances/drop"))).toBe(false);

    await store.unmountInstance("keep", { remove: false });
    expect(await isMountPoint(a.rootfs)).toBe(false);
    const again = await store.mountInstance("keep", NOTES);
    expect(await readFile(join(again.rootfs, "data/notes.txt"), "utf8")).toBe("kept\n");
    await store.unmountInstance("keep", { remove: true });
    expect(existsSync(join(dataDir, "instances/keep"))).toBe(false);
    // Unknown ids are fine; ids that are not plain names are refused before they become paths.
    await store.unmountInstance("never-mounted", { remove: true });
    await expect(store.unmountInstance("../oci", { remove: true })).rejects.toThrow(/invalid instance id/);
    // The shared layers stay for the next instance.
    expect(await layerDirs(store)).toHaveLength(2);
  });

  it("pulls and unpacks once when many instances of one image start at once", async () => {
    const { store, events } = await stores.create();
    const results = await Promise.all([
      store.ensure(HELLO),
      store.ensure("127.0.0.1:5000/examples/hello"),
      store.mountInstance("c1", HELLO),
      store.mountInstance("c2", HELLO),
      store.mountInstance("c3", HELLO),
    ]);
    const digests = new Set(results.map((r) => ("digest" in r ? r.digest : r.image.digest)));
    expect(digests.size).toBe(1);
    expect(events.filter((e) => e.type === "pull")).toHaveLength(1);
    expect(events.filter((e) => e.type === "unpack")).toHaveLength(2);
    expect(events.filter((e) => e.type === "mount")).toHaveLength(3);
  });

  it("downloads a layer shared by two images pulled at the same time once", async () => {
    const { store, events } = await stores.create();
    const [hello, notes] = await Promise.all([store.ensure(HELLO), store.ensure(NOTES)]);
    expect(notes.layers[0]).toBe(hello.layers[0]);
    const fetched = events.flatMap((e) => (e.type === "pull" ? e.fetched : []));
    // 3 distinct layers between them, each fetched by one pull only.
    expect(fetched).toHaveLength(3);
    expect(new Set(fetched).size).toBe(3);
    expect(await blobCount(store)).toBe(7);
    expect(events.filter((e) => e.type === "unpack")).toHaveLength(3);
  });

  it("reuses what is on disk after a restart and clears half-unpacked layers", async () => {
    const { store, dataDir } = await stores.create();
    const first = await store.ensure(HELLO);
    await mkdir(join(store.layersDir, ".tmp-crashed"));
    const { store: restarted, events } = await stores.create({ dataDir });
    expect(await restarted.ensure(HELLO)).toEqual(first);
    expect(events).toEqual([]);
    expect(existsSync(join(store.layersDir, ".tmp-crashed"))).toBe(false);
  });

  it("asks the registry again for tags with pullPolicy always, without downloading or unpacking again", async () => {
    const { store, events } = await stores.create({ pullPolicy: "always" });
    const first = await store.ensure(HELLO);
    const blobs = await blobCount(store);
    expect(await store.ensure(HELLO)).toEqual(first);
    expect(events.filter((e) => e.type === "pull")).toHaveLength(2);
    expect(events.filter((e) => e.type === "unpack")).toHaveLength(2);
    expect(await blobCount(store)).toBe(blobs);
    // A digest never moves: it is not asked for again.
    const byDigest = `${REGISTRY}/examples/hello@${first.digest}`;
    await store.ensure(byDigest);
    await store.ensure(byDigest);
    expect(events.filter((e) => e.type === "pull")).toHaveLength(3);
  });

  it("fails with an error that names the image", async () => {
    const { store } = await stores.create();
    await expect(store.ensure("127.0.0.1:5000/Examples/Hello")).rejects.toThrow(
      /image "127.0.0.1:5000\/Examples\/Hello": invalid reference/,
    );
    const missing = store.ensure(`${REGISTRY}/examples/does-not-exist:1.0`);
    await expect(missing).rejects.toBeInstanceOf(ImageError);
    await expect(missing).rejects.toThrow(
      /image 127.0.0.1:5000\/examples\/does-not-exist:1.0: pull failed: .*manifest unknown/,
    );
    // Port 9 (discard) is closed on these hosts: nothing answers there.
    await expect(store.ensure("127.0.0.1:9/examples/hello")).rejects.toThrow(
      /image 127.0.0.1:9\/examples\/hello:latest: pull failed: .*connection refused/,
    );
  });
});
