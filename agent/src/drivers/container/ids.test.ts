import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { IdRanges, idRangeBase, idRangeSize } from "./ids";
import { tempDir } from "./testkit";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("per-tenant uid ranges", () => {
  it("gives each tenant its own range, the same one again after a restart", async () => {
    const dir = await tempDir("berth-ids-");
    dirs.push(dir);
    const [a, b] = [randomUUID(), randomUUID()];
    const ranges = new IdRanges(dir);
    const [ra, rb, ra2] = await Promise.all([ranges.forTenant(a), ranges.forTenant(b), ranges.forTenant(a)]);
    expect(ra).toBe(ra2);
    expect(new Set([ra, rb])).toEqual(new Set([idRangeBase, idRangeBase + idRangeSize]));
    const restarted = new IdRanges(dir);
    expect(await restarted.forTenant(b)).toBe(rb);
    expect(await restarted.forTenant(randomUUID())).toBe(idRangeBase + 2 * idRangeSize);
  });
});
