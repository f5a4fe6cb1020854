// Test helpers: the local registry that `npm run setup` starts, and images built on the spot.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execOk } from "./exec";

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
 * Pushes an image whose second layer deletes a file of the first (`.wh.gone.txt`) and makes a
 * directory opaque (`.wh..wh..opq`), as a Dockerfile's `RUN rm` and `RUN rm -rf dir && mkdir dir` do.
 */
export async function pushWhiteoutImage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-wh-"));
  try {
    const layout = join(dir, "oci");
    const bundle = join(dir, "bundle");
    await execOk("umoci", ["init", "--layout", layout]);
    await execOk("umoci", ["new", "--image", `${layout}:t`]);
    await execOk("umoci", ["unpack", "--image", `${layout}:t`, bundle]);
    await mkdir(join(bundle, "rootfs/etc"), { recursive: true });
    await mkdir(join(bundle, "rootfs/opq"), { recursive: true });
    await writeFile(join(bundle, "rootfs/etc/gone.txt"), "deleted by the upper layer\n");
    await writeFile(join(bundle, "rootfs/etc/kept.txt"), "kept\n");
    await writeFile(join(bundle, "rootfs/opq/old.txt"), "hidden by the opaque directory\n");
    await execOk("umoci", ["repack", "--image", `${layout}:t`, bundle]);
    const top = join(dir, "top");
    await mkdir(join(top, "etc"), { recursive: true });
    await mkdir(join(top, "opq"), { recursive: true });
    await writeFile(join(top, "etc/.wh.gone.txt"), "");
    await writeFile(join(top, "opq/.wh..wh..opq"), "");
    await writeFile(join(top, "opq/new.txt"), "new\n");
    await execOk("tar", ["-C", top, "--numeric-owner", "-cf", join(dir, "top.tar"), "etc", "opq"]);
    await execOk("umoci", ["raw", "add-layer", "--image", `${layout}:t`, join(dir, "top.tar")]);
    // One fixed tag, overwritten by every run, so test images do not pile up in the registry.
    const ref = `${REGISTRY}/berth-test/whiteout:latest`;
    await execOk("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `oci:${layout}:t`,
      `docker://${ref}`,
    ]);
    return ref;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
