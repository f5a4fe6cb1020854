// When each reference in the store was last asked for (ensure, ensureArtifact, mountInstance), so
// the disk sweep (agent/src/gc.ts) keeps recently used images for fast redeploys and deletes the
// least recently used first. One small JSON file beside the layout, replaced atomically.
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { KeyedLock } from "./lock";

export class LastUsed {
  private readonly lock = new KeyedLock();

  constructor(private readonly file: string) {}

  /** ref -> epoch ms; a missing or damaged file is an empty map (the sweep then counts from now). */
  async read(): Promise<Map<string, number>> {
    try {
      const raw = JSON.parse(await readFile(this.file, "utf8")) as Record<string, unknown>;
      return new Map(Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === "number"));
    } catch {
      return new Map();
    }
  }

  touch(ref: string, at = Date.now()): Promise<void> {
    return this.update((m) => m.set(ref, at));
  }

  /** Sets the time of the refs that have none yet (pulled before this file existed). */
  adopt(refs: string[], at = Date.now()): Promise<void> {
    return this.update((m) => {
      for (const r of refs) if (!m.has(r)) m.set(r, at);
    });
  }

  drop(refs: string[]): Promise<void> {
    return this.update((m) => {
      for (const r of refs) m.delete(r);
    });
  }

  private update(change: (m: Map<string, number>) => void): Promise<void> {
    return this.lock.run("file", async () => {
      const m = await this.read();
      change(m);
      const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await writeFile(tmp, JSON.stringify(Object.fromEntries(m)));
        await rename(tmp, this.file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    });
  }
}
