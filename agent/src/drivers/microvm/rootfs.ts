// The micro-VM's root disk: one ext4 image per image manifest digest, filled with `mkfs.ext4 -d`
// from the image's merged layers (no loop mount, no root-owned copy of the tree). Every VM attaches
// it with QEMU's snapshot=on, so the cached file is never written after it is built.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { exec, execOk } from "../../images/exec";
import type { PulledImage } from "../../images/types";
import { cacheLock, touchCached } from "./caches";

/** Room for the workload's own writes (they land in QEMU's throwaway overlay, not in this file). */
const HEADROOM_MIB = 64;

/**
 * The ext4 image of this image at `<cacheDir>/<digest hex>.ext4`, built on first use and touched
 * on every use (its mtime is its last use: caches.ts's sweep deletes the long unused). Concurrent
 * calls for one digest wait for one build; a crash leaves only a temporary file, never a half image.
 */
export function ensureRootfs(o: { image: PulledImage; cacheDir: string }): Promise<string> {
  const hex = o.image.digest.replace(/^sha256:/, "");
  if (!/^[0-9a-f]{64}$/.test(hex)) return Promise.reject(new Error(`bad image digest ${o.image.digest}`));
  const out = join(o.cacheDir, `${hex}.ext4`);
  return cacheLock.run(out, async () =>
    (await touchCached(out)) ? out : build(o.image.layers, out, o.cacheDir),
  );
}

async function build(layers: string[], out: string, cacheDir: string): Promise<string> {
  if (existsSync(out)) return out; // another process (a restarted agent) finished it meanwhile
  await mkdir(cacheDir, { recursive: true });
  const work = join(cacheDir, `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(work, { recursive: true });
  try {
    const tree = await mergedTree(layers, work);
    try {
      const image = join(work, "rootfs.ext4");
      await mkfs(tree, image);
      await rename(image, out);
    } finally {
      if (tree !== layers[0]) await execOk("umount", [tree]);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * The directory mkfs reads: the single layer itself, or a read-only overlay of all of them (no
 * upper: the kernel then hides the whiteouts and merges opaque directories for us).
 */
async function mergedTree(layers: string[], work: string): Promise<string> {
  if (layers.length === 1 && layers[0]) return layers[0];
  const merged = join(work, "merged");
  await mkdir(merged);
  if (!layers.length) return merged; // an image without layers: an empty root
  // Relative to the layers' common directory, so many layers fit in the one-page option string.
  const cwd = dirname(layers[0] as string);
  const lowers = [...layers].reverse().map((l) => (dirname(l) === cwd ? relative(cwd, l) : l));
  const options = `ro,lowerdir=${lowers.join(":")}`;
  if (options.length > 4000) throw new Error(`too many layers for one overlay mount (${layers.length})`);
  await execOk("mount", ["-t", "overlay", "overlay", "-o", options, merged], { cwd });
  return merged;
}

/** Sizes the file from the tree (du) plus headroom and fills it; no journal on a throwaway disk. */
async function mkfs(tree: string, image: string): Promise<void> {
  const du = await execOk("du", ["-s", "--block-size=1M", "-x", tree]);
  const inodes = await exec("sh", ["-c", 'find "$1" -xdev | wc -l', "sh", tree]);
  const contentMiB = Number.parseInt(du.stdout, 10) || 0;
  const files = Number.parseInt(inodes.stdout, 10) || 0;
  // ext4 metadata takes a few percent; inodes are fixed at mkfs time, so leave room for new files.
  const sizeMiB = Math.ceil(contentMiB * 1.1) + HEADROOM_MIB;
  const inodeCount = Math.max(files * 2, 16_384);
  await execOk(
    "mkfs.ext4",
    [
      "-q",
      "-F",
      "-O",
      "^has_journal", // every VM writes to its own throwaway overlay: nothing to recover
      "-N",
      String(inodeCount),
      "-E",
      "lazy_itable_init=0,lazy_journal_init=0", // else the guest spends its first seconds zeroing
      "-L",
      "berth-root",
      "-d",
      tree,
      image,
      `${sizeMiB}M`,
    ],
    { timeoutMs: 600_000 },
  );
}
