// Test helpers: the local registry that `npm run setup` starts, and images built on the spot.

import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execOk } from "./exec";
import { type ImageEvent, OciImageStore } from "./store";

export const REGISTRY = "127.0.0.1:5000";
export const HELLO = `${REGISTRY}/examples/hello:latest`;
export const NOTES = `${REGISTRY}/examples/notes:latest`;

/** Throws (the tests fail, they do not skip) unless the registry serves both example images. */
export async function requireExampleImages(): Promise<void> {
  const hint = "start it and push the examples with `npm run setup` (see docs/images.md)";
  const up = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  if (up?.status !== 200)
    throw new Error(`the local registry is not answering on http://${REGISTRY}/v2/: ${hint}`);
  for (const name of ["hello", "notes"]) {
    const res = await fetch(`http://${REGISTRY}/v2/examples/${name}/manifests/latest`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    if (res.status !== 200) throw new Error(`${REGISTRY}/examples/${name}:latest is missing: ${hint}`);
  }
}

/**
 * Pushes `berth-test/NAME:latest`: a first layer made by umoci from `files` (path -> content),
 * then the tar archive that `topLayer(dir)` writes and returns (added verbatim, as a registry
 * could serve it). One fixed tag per name, overwritten by every run, so nothing piles up; the
 * returned reference names the pushed digest.
 */
async function pushTestImage(
  name: string,
  files: Record<string, string>,
  topLayer: (dir: string) => Promise<string>,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-img-"));
  try {
    const layout = join(dir, "oci");
    const bundle = join(dir, "bundle");
    await execOk("umoci", ["init", "--layout", layout]);
    await execOk("umoci", ["new", "--image", `${layout}:t`]);
    await execOk("umoci", ["unpack", "--image", `${layout}:t`, bundle]);
    for (const [file, content] of Object.entries(files)) {
      await mkdir(dirname(join(bundle, "rootfs", file)), { recursive: true });
      await writeFile(join(bundle, "rootfs", file), content);
    }
    await execOk("umoci", ["repack", "--image", `${layout}:t`, bundle]);
    await execOk("umoci", ["raw", "add-layer", "--image", `${layout}:t`, await topLayer(dir)]);
    const ref = `${REGISTRY}/berth-test/${name}:latest`;
    const digestFile = join(dir, "digest");
    await execOk("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      "--digestfile",
      digestFile,
      `oci:${layout}:t`,
      `docker://${ref}`,
    ]);
    // By digest: two test files pushing the same name at once must each pull their own image,
    // not the tag the other just moved (seen as a layer cut short mid-unpack).
    return `${REGISTRY}/berth-test/${name}@${(await readFile(digestFile, "utf8")).trim()}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An image whose second layer deletes a file of the first (`.wh.gone.txt`) and makes a directory
 * opaque (`.wh..wh..opq`), as a Dockerfile's `RUN rm` and `RUN rm -rf dir && mkdir dir` do.
 */
export function pushWhiteoutImage(): Promise<string> {
  const files = { "etc/gone.txt": "deleted above\n", "etc/kept.txt": "kept\n", "opq/old.txt": "hidden\n" };
  return pushTestImage("whiteout", files, async (dir) => {
    const top = join(dir, "top");
    await mkdir(join(top, "etc"), { recursive: true });
    await mkdir(join(top, "opq"), { recursive: true });
    await writeFile(join(top, "etc/.wh.gone.txt"), "");
    await writeFile(join(top, "opq/.wh..wh..opq"), "");
    await writeFile(join(top, "opq/new.txt"), "new\n");
    await execOk("tar", ["-C", top, "--numeric-owner", "-cf", join(dir, "top.tar"), "etc", "opq"]);
    return join(dir, "top.tar");
  });
}

/**
 * An image whose second layer tries to write outside the directory it is unpacked into: with
 * "symlink", a symlink to `outside` then a file through it; with "dotdot", a member named `../..`.
 */
export function pushEscapeImage(kind: "symlink" | "dotdot", outside: string): Promise<string> {
  return pushTestImage(`escape-${kind}`, { "etc/ok.txt": "ok\n" }, async (dir) => {
    const top = join(dir, "top");
    await mkdir(top, { recursive: true });
    await writeFile(join(top, "pwned"), "escaped\n");
    const tar = join(dir, "top.tar");
    if (kind === "symlink") {
      await symlink(outside, join(top, "link"));
      await execOk("tar", ["-C", top, "-cf", tar, "link"]);
      await execOk("tar", ["-C", top, "-rf", tar, "--transform=s,^pwned$,link/pwned,", "pwned"]);
    } else {
      await execOk("tar", [
        "-C",
        top,
        "-cf",
        tar,
        "--transform=s,^pwned$,../../../../pwned-dotdot,",
        "pwned",
      ]);
    }
    return tar;
  });
}

/** `examples/hello` again, its layers recompressed with zstd (as some registries now serve). */
export async function pushZstdImage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-zstd-"));
  const ref = `${REGISTRY}/berth-test/hello-zstd:latest`;
  try {
    const layout = `oci:${join(dir, "oci")}:t`;
    const zstd = ["--dest-compress", "--dest-compress-format", "zstd"];
    await execOk("skopeo", [
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      ...zstd,
      `docker://${HELLO}`,
      layout,
    ]);
    await execOk("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", layout, `docker://${ref}`]);
    return ref;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Stores in temp directories, each recording its events; cleanup unmounts and deletes them all. */
export function testStores() {
  const dirs: string[] = [];
  const stores: OciImageStore[] = [];
  return {
    async tempDir() {
      const dir = await mkdtemp(join(tmpdir(), "berth-images-"));
      dirs.push(dir);
      return dir;
    },
    async create(opts: { pullPolicy?: "missing" | "always"; dataDir?: string } = {}) {
      const dataDir = opts.dataDir ?? (await this.tempDir());
      const events: ImageEvent[] = [];
      const store = new OciImageStore({ ...opts, dataDir, onEvent: (e) => events.push(e) });
      stores.push(store);
      return { store, dataDir, events };
    },
    async cleanup() {
      for (const store of stores) {
        for (const id of await readdir(store.instancesDir).catch(() => [])) {
          await store.unmountInstance(id, { remove: true });
        }
      }
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a one-layer image straight into a store (no registry): what a hostile or broken
 * registry could serve, with a config that claims `diffIds`. Returns its reference.
 */
export async function forgeImage(store: OciImageStore, repo: string, diffIds: string[], layer: Buffer) {
  await store.ensure(HELLO); // makes the store's layout
  const put = async (bytes: Buffer | string) => {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    await writeFile(store.layout.blobPath(digest), bytes);
    return { digest, size: bytes.length };
  };
  const layerDesc = await put(layer);
  const config = await put(JSON.stringify({ rootfs: { type: "layers", diff_ids: diffIds } }));
  const manifest = await put(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layerDesc }],
    }),
  );
  const ref = `${REGISTRY}/${repo}:latest`;
  await store.layout.tag(ref, { mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest });
  return ref;
}
