// Garbage collection of the image store: mark from the index and the instance records, sweep
// blobs and layer directories. The caller makes sure nothing pulls or mounts meanwhile.
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
}): Promise<GarbageReport> {
  const blobs = new Set<string>();
  const layers = new Set<string>();
  for (const desc of await o.layout.descriptors()) {
    blobs.add(desc.digest);
    const manifest = await o.layout.readJson<Manifest>(desc.digest);
    blobs.add(manifest.config.digest);
    for (const l of manifest.layers) blobs.add(l.digest);
    const config = await o.layout.readJson<OciConfig>(manifest.config.digest);
    for (const id of config.rootfs?.diff_ids ?? []) layers.add(layerDirName(id));
  }
  // An instance keeps its layers while its directory exists, mounted or not: its upper layer
  // only makes sense over those exact lowers.
  for (const id of await readdir(o.instancesDir)) {
    const record = join(o.instancesDir, id, "image.json");
    if (!existsSync(record)) continue;
    const image = JSON.parse(await readFile(record, "utf8")) as PulledImage;
    for (const l of image.layers) layers.add(basename(l));
  }
  const report: GarbageReport = { blobs: 0, layers: 0, bytes: 0 };
  const blobDir = join(o.layout.blobs, "sha256");
  for (const hex of await readdir(blobDir)) {
    if (blobs.has(`sha256:${hex}`)) continue;
    const file = join(blobDir, hex);
    report.bytes += (await stat(file)).size;
    await rm(file, { force: true });
    report.blobs++;
  }
  for (const name of await readdir(o.layersDir)) {
    if (layers.has(name) || name.startsWith(".tmp-")) continue;
    await rm(join(o.layersDir, name), { recursive: true, force: true });
    report.layers++;
  }
  return report;
}
