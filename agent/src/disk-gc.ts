// The host's disk sweep: images, unikernel artifacts, micro-VM root disks and base initramfs
// files that no live instance uses. Thresholds and age, in the manner of kubelet's image GC:
//  - every `intervalMs`, whatever is unused and was not used within `unusedMs` goes;
//  - when the data directory's filesystem is above `highPct` (checked every `checkMs`, one
//    statfs), a sweep runs at once and also deletes the least recently used of the other unused
//    things, down to `lowPct`;
//  - never anything a live instance uses (Driver.imagesInUse) nor anything used within `minAgeMs`.
// One log line per sweep says what went. docs/images.md ("Disk sweep") is the operator's page.
import { statfs } from "node:fs/promises";
import type { Driver } from "./driver";
import { sweepVmCaches } from "./drivers/microvm/caches";
import type { OciImageStore } from "./images";
import type { Log } from "./log";

export type DiskGcPolicy = {
  /** Between two sweeps; 0 turns the loop off (sweep() still works). */
  intervalMs: number;
  /** Unused and not used within this long: deleted at the next sweep. */
  unusedMs: number;
  /** Used (asked for, built, started) within this long: never deleted. */
  minAgeMs: number;
  /** Disk use in percent at which a sweep runs at once and deletes by least recent use... */
  highPct: number;
  /** ...until the use is down to this. */
  lowPct: number;
};

export type DiskGcOptions = DiskGcPolicy & {
  driver: Pick<Driver, "imagesInUse">;
  images: OciImageStore;
  /** The micro-VM level's data directory (its rootfs/ and initrd/ caches). */
  microvmDir?: string;
  /** A path on the filesystem whose use the high-water mark watches. */
  dataDir: string;
  log: Log;
  /** How often the disk use is looked at between sweeps (default 60 s). */
  checkMs?: number;
};

export type DiskGcReport = {
  reason: string;
  /** Why nothing was deleted, when nothing could safely be. */
  skipped?: string;
  images: string[];
  blobs: number;
  layers: number;
  /** Root disks and base initramfs files. */
  vmFiles: number;
  bytes: number;
  usedPctBefore: number | null;
  usedPctAfter: number | null;
  ms: number;
};

/** Percent of the filesystem in use, as df counts it (root's reserve is not free); null if unknown. */
export async function diskUsedPct(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    const used = s.blocks - s.bfree;
    const total = used + s.bavail;
    return total > 0 ? (used / total) * 100 : null;
  } catch {
    return null;
  }
}

/** Pressure sweeps that could not get below the mark wait this long before the next one. */
const PRESSURE_BACKOFF_MS = 5 * 60_000;

export class DiskGc {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DiskGcReport> | undefined;
  private lastSweep = 0;
  private lastPressure = 0;
  private stopped = false;

  constructor(private readonly o: DiskGcOptions) {}

  /** Starts the loop (nothing when intervalMs is 0); the first sweep comes after one check. */
  start(): void {
    if (this.o.intervalMs <= 0) return;
    this.lastSweep = Date.now() - this.o.intervalMs + Math.min(this.o.intervalMs, 60_000);
    this.schedule();
  }

  /** Stops the loop and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private schedule() {
    if (this.stopped) return;
    const checkMs = Math.min(this.o.checkMs ?? 60_000, this.o.intervalMs);
    this.timer = setTimeout(async () => {
      await this.tick().catch(() => {});
      this.schedule();
    }, checkMs);
    this.timer.unref();
  }

  private async tick() {
    const now = Date.now();
    if (now - this.lastSweep >= this.o.intervalMs) {
      await this.sweep("interval");
      return;
    }
    const pct = await diskUsedPct(this.o.dataDir);
    if (pct !== null && pct >= this.o.highPct && now - this.lastPressure >= PRESSURE_BACKOFF_MS) {
      this.lastPressure = now;
      await this.sweep("disk");
    }
  }

  /** One sweep now (a sweep in progress is joined, not doubled); logged, never throws. */
  sweep(reason: string): Promise<DiskGcReport> {
    this.running ??= this.sweepOnce(reason).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepOnce(reason: string): Promise<DiskGcReport> {
    const t0 = performance.now();
    this.lastSweep = Date.now();
    const report: DiskGcReport = {
      reason,
      images: [],
      blobs: 0,
      layers: 0,
      vmFiles: 0,
      bytes: 0,
      usedPctBefore: await diskUsedPct(this.o.dataDir),
      usedPctAfter: null,
      ms: 0,
    };
    const errors: string[] = [];
    try {
      const used = (await this.o.driver.imagesInUse?.()) ?? { digests: [], unknown: [] };
      if (used.unknown.length) {
        // Written before records named their image: what they use cannot be told apart.
        report.skipped = `instances without an image in their record: ${used.unknown.slice(0, 5).join(", ")}`;
      } else {
        const pressure = report.usedPctBefore !== null && report.usedPctBefore >= this.o.highPct;
        const needMore = pressure
          ? async () => ((await diskUsedPct(this.o.dataDir)) ?? 0) > this.o.lowPct
          : undefined;
        const policy = { unusedMs: this.o.unusedMs, minAgeMs: this.o.minAgeMs, needMore };
        try {
          const r = await this.o.images.sweep({ inUse: used.digests, ...policy });
          report.images = r.images;
          report.blobs = r.blobs;
          report.layers = r.layers;
          report.bytes += r.bytes;
        } catch (err) {
          errors.push(`images: ${(err as Error).message}`);
        }
        if (this.o.microvmDir) {
          try {
            const r = await sweepVmCaches({
              dataDir: this.o.microvmDir,
              inUse: new Set(used.digests),
              ...policy,
            });
            report.vmFiles = r.files;
            report.bytes += r.bytes;
          } catch (err) {
            errors.push(`micro-VM caches: ${(err as Error).message}`);
          }
        }
      }
    } catch (err) {
      errors.push(`instances in use: ${(err as Error).message}`);
    }
    report.usedPctAfter = await diskUsedPct(this.o.dataDir);
    report.ms = Math.round(performance.now() - t0);
    const pct = (p: number | null) => (p === null ? undefined : Math.round(p * 10) / 10);
    const fields = {
      reason,
      images: report.images.length,
      blobs: report.blobs,
      layers: report.layers,
      vmFiles: report.vmFiles,
      freedBytes: report.bytes,
      diskPct: pct(report.usedPctBefore),
      diskPctAfter: pct(report.usedPctAfter),
      ms: report.ms,
      skipped: report.skipped,
      errors: errors.length ? errors.join("; ") : undefined,
    };
    if (errors.length || report.skipped) this.o.log.warn("disk sweep", fields);
    else this.o.log.info("disk sweep", fields);
    return report;
  }
}
