// Per-tenant host uid/gid ranges: tenant n gets [base + size*n, base + size*(n+1)). Persisted, so a
// tenant keeps its range across agent restarts and its files in write layers keep their owner.
import { join } from "node:path";
import { readJson, writeAtomic } from "./files";

export const idRangeBase = 200_000;
export const idRangeSize = 65_536;
/** Keeps every range below 2^32 - 1, the invalid uid. */
const maxRanges = Math.floor((0xffff_fffe - idRangeBase) / idRangeSize);

type IdFile = { tenants: Record<string, number> };

export class IdRanges {
  private readonly path: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.path = join(dataDir, "id-ranges.json");
  }

  /** The first host id of the tenant's range, allocating the next free range once. */
  forTenant(tenantId: string): Promise<number> {
    const next = this.chain.then(async () => {
      const file = (await readJson<IdFile>(this.path)) ?? { tenants: {} };
      let index = file.tenants[tenantId];
      if (index === undefined) {
        const used = new Set(Object.values(file.tenants));
        index = 0;
        while (used.has(index)) index++;
        if (index >= maxRanges) throw new Error("no free uid range left on this host");
        file.tenants[tenantId] = index;
        await writeAtomic(this.path, JSON.stringify(file));
      }
      return idRangeBase + idRangeSize * index;
    });
    this.chain = next.catch(() => {});
    return next;
  }
}
