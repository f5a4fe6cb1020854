// What a layer may and may not do when it is unpacked: whiteouts, compression, forged or hostile content.
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exec } from "./exec";
import {
  forgeImage,
  HELLO,
  pushEscapeImage,
  pushWhiteoutImage,
  pushZstdImage,
  requireExampleImages,
  testStores,
} from "./testing";

const stores = testStores();
beforeAll(requireExampleImages);
afterAll(() => stores.cleanup());

describe("layers", () => {
  it("turns OCI whiteouts into overlay whiteouts that hide the lower files", async () => {
    const ref = await pushWhiteoutImage();
    const { store } = await stores.create();
    const { rootfs, image } = await store.mountInstance("wh", ref);
    expect(image.layers).toHaveLength(2);
    const top = image.layers[1] ?? "";
    const whiteout = await stat(join(top, "etc/gone.txt"));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(existsSync(join(top, "etc/.wh.gone.txt"))).toBe(false);
    const opaque = await exec("getfattr", [
      "--only-values",
      "-n",
      "trusted.overlay.opaque",
      join(top, "opq"),
    ]);
    expect(opaque.stdout).toBe("y");

    expect(existsSync(join(image.layers[0] ?? "", "etc/gone.txt"))).toBe(true);
    expect(existsSync(join(rootfs, "etc/gone.txt"))).toBe(false);
    expect(existsSync(join(rootfs, "etc/kept.txt"))).toBe(true);
    expect((await readdir(join(rootfs, "opq"))).sort()).toEqual(["new.txt"]);
  });

  it("unpacks zstd layers like gzip ones", async () => {
    const ref = await pushZstdImage();
    const { store } = await stores.create();
    const image = await store.ensure(ref);
    const manifest = await store.layout.readJson<{ layers: { mediaType: string }[] }>(image.digest);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.v1.tar+zstd",
    ]);
    // Same content, so the same diff ids and directories as the gzip original.
    const hello = await store.ensure(HELLO);
    expect(image.layers).toEqual(hello.layers);
    expect(existsSync(join(image.layers[1] ?? "", "bin/hello"))).toBe(true);
  });

  it("refuses a layer whose content is not what the config's diff id says", async () => {
    const { store } = await stores.create();
    const tarDir = await stores.tempDir();
    await writeFile(join(tarDir, "f.txt"), "content\n");
    await exec("tar", ["-C", tarDir, "-cf", join(tarDir, "layer.tar"), "f.txt"]);
    const claimed = `sha256:${"0".repeat(64)}`;
    const ref = await forgeImage(
      store,
      "forged/diffid",
      [claimed],
      await readFile(join(tarDir, "layer.tar")),
    );
    await expect(store.ensure(ref)).rejects.toThrow(
      new RegExp(`image ${ref}: layer content is sha256:[a-f0-9]{64}, the image config says ${claimed}`),
    );
    expect(existsSync(join(store.layersDir, "0".repeat(64)))).toBe(false);
    expect((await readdir(store.layersDir)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("refuses a layer that writes through its own symlink to outside its directory", async () => {
    const outside = await stores.tempDir();
    const ref = await pushEscapeImage("symlink", outside);
    const { store } = await stores.create();
    // GNU tar extracts a symlink that points out of the tree last, as a placeholder file first:
    // the file "through" it finds no directory, and the layer fails instead of escaping.
    await expect(store.ensure(ref)).rejects.toThrow(
      /image 127.0.0.1:5000\/berth-test\/escape-symlink@sha256:[0-9a-f]{64}: tar failed: .*link\/pwned/,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it("refuses a layer with a member that climbs out with ..", async () => {
    const ref = await pushEscapeImage("dotdot", tmpdir());
    const { store } = await stores.create();
    await expect(store.ensure(ref)).rejects.toThrow(
      /image 127.0.0.1:5000\/berth-test\/escape-dotdot@sha256:[0-9a-f]{64}: tar failed: .*contains '\.\.'/,
    );
    expect(existsSync(join(tmpdir(), "pwned-dotdot"))).toBe(false);
    expect(existsSync("/pwned-dotdot")).toBe(false);
    expect((await readdir(store.layersDir)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("refuses a config whose diff ids would point outside the store", async () => {
    const { store, dataDir } = await stores.create();
    const ref = await forgeImage(store, "evil/escape", ["sha256:../../../etc"], Buffer.from(""));
    await expect(store.ensure(ref)).rejects.toThrow(
      /image 127.0.0.1:5000\/evil\/escape:latest: unsupported diff id/,
    );
    await expect(store.mountInstance("evil", ref)).rejects.toThrow(/unsupported diff id/);
    expect(existsSync(join(dataDir, "instances/evil/merged/passwd"))).toBe(false);
  });
});
