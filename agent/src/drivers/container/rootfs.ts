// The instance's root filesystem: an overlay whose lower layers are idmapped, read-only views of the
// image's unpacked layers (owned by host root on disk, by the tenant's root inside), and whose upper
// layer belongs to the instance. See docs/container.md for why the layers, not the overlay, are idmapped.
import { execFile } from "node:child_process";
import { chown, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type RootfsPaths = { rootfs: string; upper: string; work: string; lowerRoot: string };

export function rootfsPaths(instanceDir: string): RootfsPaths {
  return {
    rootfs: join(instanceDir, "rootfs"),
    upper: join(instanceDir, "upper"),
    work: join(instanceDir, "work"),
    lowerRoot: join(instanceDir, "lower"),
  };
}

/** Mount points under `dir`, deepest first, from this process's mount table. */
async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  const points = table
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function mountRootfs(opts: {
  instanceDir: string;
  layers: string[];
  hostIdBase: number;
  idCount: number;
  idmapHelper: string;
}): Promise<string> {
  const p = rootfsPaths(opts.instanceDir);
  await unmountRootfs(opts.instanceDir);
  for (const d of [p.rootfs, p.upper, p.work, p.lowerRoot]) await mkdir(d, { recursive: true });
  // The merged root directory takes its owner from the upper one: the container's root owns "/".
  await chown(p.upper, opts.hostIdBase, opts.hostIdBase);
  const lowers = opts.layers.map((_, i) => join(p.lowerRoot, String(i)));
  for (const l of lowers) await mkdir(l, { recursive: true });
  if (opts.layers.length === 0) throw new Error("the image has no layers");
  const pairs = opts.layers.flatMap((layer, i) => [layer, lowers[i] as string]);
  await run(opts.idmapHelper, [String(opts.hostIdBase), String(opts.idCount), ...pairs]);
  // overlayfs lists the top layer first.
  const lowerdir = [...lowers].reverse().join(":");
  await run("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${lowerdir},upperdir=${p.upper},workdir=${p.work}`,
    p.rootfs,
  ]);
  return p.rootfs;
}

/** Unmounts the overlay and the idmapped layers; what is not mounted is fine. */
export async function unmountRootfs(instanceDir: string): Promise<void> {
  for (const point of await mountsUnder(instanceDir)) {
    await run("umount", [point]).catch(() => run("umount", ["-l", point]).catch(() => {}));
  }
}

/** Removes the write layer (the instance is gone for good). */
export async function removeWriteLayer(instanceDir: string): Promise<void> {
  const p = rootfsPaths(instanceDir);
  await unmountRootfs(instanceDir);
  // Never recurse into a mount: that would delete from the image's layers.
  const left = await mountsUnder(instanceDir);
  if (left.length) throw new Error(`still mounted: ${left.join(", ")}`);
  for (const d of [p.rootfs, p.upper, p.work, p.lowerRoot]) await rm(d, { recursive: true, force: true });
}
