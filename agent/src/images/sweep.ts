// The image store's half of the disk sweep (agent/src/gc.ts decides when it runs): which
// references go, oldest use first. Two rules, as kubelet's image GC has them:
//  - age: a reference no live instance uses and nobody asked for within `unusedMs` goes;
//  - pressure: while `needMore` says the disk is still above its low mark, the least recently
//    used of the other unused references go, one at a time.
// Never deleted: a reference whose digest a live instance uses, and one asked for (ensure,
// ensureArtifact, mountInstance) within `minAgeMs`, so a start between its pull and its record
// keeps its image. The blobs and layers only deleted references needed go with them.
import type { GarbageReport } from "./gc";
import { type Layout, REF_NAME } from "./layout";
import type { LastUsed } from "./used";

export type ImageSweep = {
  /** Manifest digests that live instances use (Driver.imagesInUse): kept with all they need. */
  inUse: Iterable<string>;
  /** An unused reference nobody asked for within this long goes. */
  unusedMs: number;
  /** Nothing asked for within this long goes, whatever the pressure (the grace of a start). */
  minAgeMs: number;
  /** Asked before each deletion the age rule does not call for: true while more must go. */
  needMore?: () => Promise<boolean>;
};

export type ImageSweepReport = GarbageReport & { images: string[] };

/** What the store lends the sweep: its layout, its locks and its collector. */
export type SweepContext = {
  layout: Layout;
  lastUsed: LastUsed;
  alone: <T>(task: () => Promise<T>) => Promise<T>;
  untag: (ref: string) => Promise<void>;
  collect: (keep: Set<string>) => Promise<GarbageReport>;
};

type Candidate = { ref: string; digest: string; at: number };

export async function sweepImages(p: ImageSweep, s: SweepContext): Promise<ImageSweepReport> {
  const inUse = new Set(p.inUse);
  const report: ImageSweepReport = { images: [], blobs: 0, layers: 0, bytes: 0 };
  const remove = async (refs: string[]) => {
    for (const ref of refs) await s.untag(ref);
    await s.lastUsed.drop(refs);
    const g = await s.collect(inUse);
    report.images.push(...refs);
    report.blobs += g.blobs;
    report.layers += g.layers;
    report.bytes += g.bytes;
  };
  const rest = await s.alone(async () => {
    const now = Date.now();
    const unused = await unusedRefs(s, inUse, now);
    const old = unused.filter((c) => now - c.at >= Math.max(p.unusedMs, p.minAgeMs));
    await remove(old.map((c) => c.ref));
    return unused.filter((c) => !old.includes(c) && now - c.at >= p.minAgeMs);
  });
  for (const c of rest) {
    if (!p.needMore || !(await p.needMore())) break;
    await s.alone(async () => {
      // Asked for since the first look (a start in between)? Then it stays.
      const again = (await unusedRefs(s, inUse, Date.now())).find((x) => x.ref === c.ref);
      if (again && again.digest === c.digest && Date.now() - again.at >= p.minAgeMs) await remove([c.ref]);
    });
  }
  return report;
}

/** The references no live instance uses, least recently used first. */
async function unusedRefs(s: SweepContext, inUse: Set<string>, now: number): Promise<Candidate[]> {
  const refs = (await s.layout.descriptors()).flatMap((d) => {
    const ref = d.annotations?.[REF_NAME];
    return ref ? [{ ref, digest: d.digest }] : [];
  });
  // Pulled before the store kept times (or the file was lost): their age counts from now.
  await s.lastUsed.adopt(
    refs.map((r) => r.ref),
    now,
  );
  const used = await s.lastUsed.read();
  return refs
    .filter((r) => !inUse.has(r.digest))
    .map((r) => ({ ...r, at: used.get(r.ref) ?? now }))
    .sort((a, b) => a.at - b.at);
}
