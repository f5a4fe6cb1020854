// Per-tenant host uid/gid ranges: tenant n gets [base + size*n, base + size*(n+1)). Persisted, so a
// tenant keeps its range across agent restarts and its files in write layers keep their owner.
// The microvm level shares the file (its VMM runs as the range's first id), so no two tenants ever
// get one uid, whatever level runs them.
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { readJson, writeAtomic } from "./files";

export const idRangeBase = 200_000;
export const idRangeSize = 65_536;
/** Keeps every range below 2^32 - 1, the invalid uid. */
const maxRanges = Math.floor((0xffff_fffe - idRangeBase) / idRangeSize);

type IdFile = { tenants: Record<string, number> };

/** One allocation at a time per file, across every IdRanges of this process that uses it. */
const chains = new Map<string, Promise<unknown>>();

export class IdRanges {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = resolve(dataDir, "id-ranges.json");
  }

  /** The first host id of the tenant's range, allocating the next free range once. */
  forTenant(tenantId: string): Promise<number> {
    const next = (chains.get(this.path) ?? Promise.resolve()).then(async () => {
      const file = (await readJson<IdFile>(this.path)) ?? { tenants: {} };
      let index = file.tenants[tenantId];
      if (index === undefined) {
        const used = new Set(Object.values(file.tenants));
        index = 0;
        while (used.has(index)) index++;
        if (index >= maxRanges) throw new Error("no free uid range left on this host");
        file.tenants[tenantId] = index;
        // The first of the two levels that share the file may run before the other made its dir.
        await mkdir(dirname(this.path), { recursive: true });
        await writeAtomic(this.path, JSON.stringify(file));
      }
      return idRangeBase + idRangeSize * index;
    });
    chains.set(
      this.path,
      next.catch(() => {}),
    );
    return next;
  }
}
