// Garbage collection of the image store: mark from the index, the instance records, the digests
// live instances use and the layers mounted anywhere on the host; sweep blobs and layer
// directories. The caller makes sure nothing pulls or mounts meanwhile (the store's gcLock).
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Layout, Manifest, OciConfig } from "./layout";
import type { PulledImage } from "./types";
import { layerDirName } from "./unpack";

export type GarbageReport = { blobs: number; layers: number; bytes: number };

export async function collectGarbage(o: {
  layout: Layout;
  layersDir: string;
  instancesDir: string;
  /** Manifest digests to keep with everything they need though no reference names them. */
  keep?: Iterable<string>;
}): Promise<GarbageReport> {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  const mark = async (digest: string) => {
    blobs.add(digest);
    const manifest = await o.layout.readJson<Manifest>(digest);
    blobs.add(manifest.config.digest);
    for (const l of manifest.layers) blobs.add(l.digest);
    const config = await o.layout.readJson<OciConfig>(manifest.config.digest);
    for (const id of config.rootfs?.diff_ids ?? []) layers.add(layerDirName(id));
  };
  for (const desc of await o.layout.descriptors()) await mark(desc.digest);
  for (const digest of o.keep ?? []) {
    if (!blobs.has(digest) && existsSync(o.layout.blobPath(digest))) await mark(digest);
  }
  // An instance keeps its layers while its directory exists, mounted or not: its upper layer
  // only makes sense over those exact lowers.
  for (const id of await readdir(o.instancesDir)) {
    const record = join(o.instancesDir, id, "image.json");
    if (!existsSync(record)) continue;
    const image = JSON.parse(await readFile(record, "utf8")) as PulledImage;
    for (const l of image.layers) layers.add(basename(l));
  }
  // A layer something mounted (the container level's idmapped lowers) stays whatever the records
  // say: deleting it would empty a running container's root.
  const mounted = await mountRoots();
  const report: GarbageReport = { blobs: 0, layers: 0, bytes: 0 };
  const blobDir = join(o.layout.blobs, "sha256");
  for (const hex of await readdir(blobDir)) {
    if (blobs.has(`sha256:${hex}`)) continue;
    const file = join(blobDir, hex);
    const st = await stat(file).catch(() => null);
    if (!st) continue;
    report.bytes += st.size;
    await rm(file, { force: true });
    report.blobs++;
  }
  for (const name of await readdir(o.layersDir)) {
    if (layers.has(name) || name.startsWith(".tmp-")) continue;
    const dir = join(o.layersDir, name);
    if (mounted.some((root) => dir.endsWith(root))) continue;
    await rm(dir, { recursive: true, force: true });
    report.layers++;
  }
  return report;
}

/**
 * The root of every bind mount in this mount namespace (mountinfo's 4th field: the mounted
 * directory's path within its filesystem, so a suffix of its path here). Whole-filesystem mounts
 * ("/") say nothing about a directory and are left out.
 */
async function mountRoots(): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const roots = new Set<string>();
  for (const line of table.split("\n")) {
    const root = line.split(" ")[3];
    if (root && root !== "/")
      roots.add(root.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
  }
  return [...roots];
}
