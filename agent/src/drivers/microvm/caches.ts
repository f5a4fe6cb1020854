// The micro-VM level's caches on disk, and their half of the disk sweep (agent/src/gc.ts):
// <dataDir>/rootfs/<digest hex>.ext4 (one root disk per image, rootfs.ts) and
// <dataDir>/initrd/base-*.cpio (one base initramfs per guest kernel and berth-init, guest.ts).
// A file's mtime is its last use: both ensure functions touch the file they hand out, under the
// lock the sweep takes to delete it, so a start never gets a path the sweep is removing.
import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { KeyedLock } from "../../images/lock";

/** Per cache file: an ensure's look-up-and-touch and the sweep's check-and-delete never interleave. */
export const cacheLock = new KeyedLock();

/** Marks the file as used now; false when it is not there (then the caller builds it). */
export async function touchCached(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

export type CacheSweep = {
  /** Image manifest digests live micro-VMs boot from: their root disks stay. */
  inUse: Set<string>;
  unusedMs: number;
  minAgeMs: number;
  needMore?: () => Promise<boolean>;
};

export type CacheReport = { files: number; bytes: number };

/** A crashed build's temporary directory older than this goes (a build takes minutes at most). */
const STALE_TMP_MS = 24 * 3600_000;

/**
 * Deletes the root disks no live micro-VM uses and nobody used within unusedMs, then while
 * needMore says so the least recently used of the other unused ones older than minAgeMs; base
 * initramfs files by age only (they are small and rebuilt in milliseconds).
 */
export async function sweepVmCaches(o: CacheSweep & { dataDir: string }): Promise<CacheReport> {
  const report: CacheReport = { files: 0, bytes: 0 };
  const rootfsDir = join(o.dataDir, "rootfs");
  const disks = (await entries(rootfsDir)).filter((e) => {
    const m = /^([0-9a-f]{64})\.ext4$/.exec(e.name);
    return m && !o.inUse.has(`sha256:${m[1]}`);
  });
  const initrds = (await entries(join(o.dataDir, "initrd"))).filter((e) => /^base-.*\.cpio$/.test(e.name));
  const now = Date.now();
  const oldAge = Math.max(o.unusedMs, o.minAgeMs);
  for (const e of [...disks, ...initrds].filter((x) => now - x.mtimeMs >= oldAge))
    await removeIfUnused(e, oldAge, report);
  const rest = disks.filter((x) => now - x.mtimeMs < oldAge && now - x.mtimeMs >= o.minAgeMs);
  for (const e of rest.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
    if (!o.needMore || !(await o.needMore())) break;
    await removeIfUnused(e, o.minAgeMs, report);
  }
  for (const e of await entries(rootfsDir)) {
    if (e.name.startsWith(".tmp-") && now - e.mtimeMs >= STALE_TMP_MS) {
      await rm(e.path, { recursive: true, force: true });
      report.files++;
    }
  }
  return report;
}

type Entry = { name: string; path: string; mtimeMs: number; size: number };

async function entries(dir: string): Promise<Entry[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Entry[] = [];
  for (const name of names) {
    const st = await stat(join(dir, name)).catch(() => null);
    if (st) out.push({ name, path: join(dir, name), mtimeMs: st.mtimeMs, size: st.size });
  }
  return out;
}

/** Under the file's lock, deleted only if still not touched within ageMs (a start may just have). */
async function removeIfUnused(e: Entry, ageMs: number, report: CacheReport): Promise<void> {
  await cacheLock.run(e.path, async () => {
    const st = await stat(e.path).catch(() => null);
    if (!st || Date.now() - st.mtimeMs < ageMs) return;
    await rm(e.path, { force: true });
    report.files++;
    report.bytes += st.size;
  });
}
