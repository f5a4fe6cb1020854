// Per-instance overlay mounts: the image's layers as lower directories, the instance's own upper.
import { mkdir, readFile, realpath } from "node:fs/promises";
import { join, relative } from "node:path";
import { exec, lastLines } from "./exec";

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export async function isMountPoint(path: string): Promise<boolean> {
  const dir = await realpath(path).catch(() => null);
  if (!dir) return false;
  const table = await readFile("/proc/self/mountinfo", "utf8");
  return table.split("\n").some((line) => {
    const point = line.split(" ")[4];
    return point !== undefined && unescapeMountPath(point) === dir;
  });
}

/**
 * Paths are relative to `cwd` (the store's directory), which the kernel resolves against the
 * mounting process's working directory: mount options must fit in one page (4 KiB), and
 * 64-character layer names instead of absolute paths let about 60 layers fit.
 */
export async function mountOverlay(o: {
  cwd: string;
  lowers: string[];
  upper: string;
  work: string;
  merged: string;
}): Promise<void> {
  const options = `lowerdir=${o.lowers.join(":")},upperdir=${o.upper},workdir=${o.work}`;
  if (options.length > 4000) throw new Error(`too many layers for one overlay mount (${o.lowers.length})`);
  const r = await exec("mount", ["-t", "overlay", "overlay", "-o", options, o.merged], { cwd: o.cwd });
  if (r.code !== 0) throw new Error(`mount overlay on ${o.merged} failed: ${lastLines(r.stderr)}`);
}

/** Mounts DIR/merged over the layers (lowest first) with DIR/upper; nothing if already mounted. */
export async function mountInstanceOverlay(o: { storeDir: string; instanceDir: string; layers: string[] }) {
  const [upper, work, merged] = ["upper", "work", "merged"].map((d) => join(o.instanceDir, d)) as [
    string,
    string,
    string,
  ];
  for (const d of [upper, work, merged]) await mkdir(d, { recursive: true });
  if (await isMountPoint(merged)) return;
  const cwd = o.storeDir;
  // overlayfs lists the top layer first; an image without layers still needs one lower.
  let lowers = o.layers.map((l) => relative(cwd, l)).reverse();
  if (!lowers.length) {
    await mkdir(join(o.instanceDir, "empty"), { recursive: true });
    lowers = [relative(cwd, join(o.instanceDir, "empty"))];
  }
  await mountOverlay({ cwd, lowers, upper: relative(cwd, upper), work: relative(cwd, work), merged });
}

/** Unmounts, retrying briefly while it is busy (a process of the instance still exiting). */
export async function unmount(dir: string): Promise<void> {
  let stderr = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await exec("umount", [dir]);
    if (r.code === 0 || !(await isMountPoint(dir))) return;
    stderr = r.stderr;
    await new Promise((res) => setTimeout(res, 100 * (attempt + 1)));
  }
  throw new Error(`umount ${dir} failed: ${lastLines(stderr)}`);
}
