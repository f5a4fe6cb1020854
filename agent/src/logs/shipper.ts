import { type FSWatcher, watch } from "node:fs";
import { type FileHandle, open, stat, truncate } from "node:fs/promises";
import { logCursorKey, logStreamKey } from "@berth/contracts";
import type { Redis } from "ioredis";
import type { Log } from "../log";
import { splitLines } from "./split";

export type LogShipperOptions = {
  /** The agent's own connection: its ACL user may write `${prefix}:logs:${hostId}:*` only. */
  redis: Redis;
  hostId: string;
  prefix: string;
  /** Lines kept per instance (XADD MAXLEN ~, so a little more); default 5,000. */
  maxLines?: number;
  /** Longer lines are shipped in pieces of this many bytes; default 8 KiB. */
  maxLineBytes?: number;
  /** A stream (and its cursor) expires this long after its last line; default 7 days. */
  retentionMs?: number;
  /** Once this much of a file is shipped and nothing more was written, it is truncated; default 8 MiB; 0: never. */
  truncateAtBytes?: number;
  /**
   * How often each file is looked at besides inotify (which ships a line within milliseconds of
   * its write): the fallback when watches run out, and the check for truncation; default 1 s.
   */
  pollMs?: number;
  log?: Log;
};

type Tail = {
  instanceId: string;
  path: string;
  fh: FileHandle | undefined;
  ino: number;
  offset: number;
  /** The cursor stored in Redis is read once, when the file is first opened. */
  resumed: boolean;
  busy: Promise<void> | undefined;
  /** Written to while a pump ran: pump again at once rather than at the next poll. */
  again: boolean;
  /** inotify on the open file: a line is shipped as soon as it is written, not at the next poll. */
  watcher: FSWatcher | undefined;
};

const readChunk = 256 * 1024;

/**
 * Tails per-instance log files into Redis streams. The lines of a batch and the file offset after
 * them are written in one MULTI/EXEC, so Redis holds either both or neither: a restart (kill -9
 * included) resumes from the stored offset without losing or repeating a line. See README.md.
 */
export class LogShipper {
  private readonly tails = new Map<string, Tail>();
  private readonly timer: NodeJS.Timeout;
  private readonly o: Required<Omit<LogShipperOptions, "log">> & { log: Log | undefined };
  private closed = false;

  constructor(opts: LogShipperOptions) {
    this.o = {
      maxLines: 5000,
      maxLineBytes: 8192,
      retentionMs: 7 * 24 * 3600_000,
      truncateAtBytes: 8 * 1024 * 1024,
      pollMs: 1000,
      ...opts,
      log: opts.log,
    };
    this.timer = setInterval(() => this.pollAll(), this.o.pollMs);
    this.timer.unref();
  }

  /** Ships `path` as the instance's log; the file may not exist yet. Watching twice is a no-op. */
  watch(instanceId: string, path: string): void {
    if (this.closed || this.tails.get(instanceId)?.path === path) return;
    void this.unwatch(instanceId);
    const tail: Tail = {
      instanceId,
      path,
      fh: undefined,
      ino: 0,
      offset: 0,
      resumed: false,
      busy: undefined,
      again: false,
      watcher: undefined,
    };
    this.tails.set(instanceId, tail);
    this.poll(tail);
  }

  /**
   * Stops shipping. Unless the stream is deleted too, what the file still holds (a last partial
   * line included) is shipped first: an instance's last words are usually the interesting ones.
   */
  async unwatch(instanceId: string, opts: { deleteStream?: boolean } = {}): Promise<void> {
    const tail = this.tails.get(instanceId);
    if (tail) {
      this.tails.delete(instanceId);
      await tail.busy;
      if (!opts.deleteStream) await this.guard(tail, () => this.ship(tail, true));
      await this.forget(tail);
    }
    if (opts.deleteStream) await this.o.redis.del(this.streamKey(instanceId), this.cursorKey(instanceId));
  }

  watching(): string[] {
    return [...this.tails.keys()];
  }

  /** Ships what is there now (tests, and callers that want the lines out before they go on). */
  async flush(): Promise<void> {
    await Promise.all([...this.tails.values()].map((t) => this.poll(t)));
  }

  /** Stops without shipping partial lines: the next start resumes from the stored offsets. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const tails = [...this.tails.values()];
    this.tails.clear();
    await Promise.all(
      tails.map(async (t) => {
        // a batch waiting on an unreachable Redis must not hold the agent's shutdown
        await Promise.race([t.busy, new Promise((r) => setTimeout(r, 2000).unref())]);
        await this.forget(t);
      }),
    );
  }

  private pollAll() {
    for (const tail of this.tails.values()) if (!tail.busy) this.poll(tail);
  }

  private poll(tail: Tail): Promise<void> {
    if (tail.busy) {
      tail.again = true;
      return tail.busy;
    }
    tail.busy = this.guard(tail, () => this.pump(tail)).finally(() => {
      tail.busy = undefined;
      if (tail.again && this.tails.get(tail.instanceId) === tail) {
        tail.again = false;
        void this.poll(tail);
      }
    });
    return tail.busy;
  }

  private forget(tail: Tail) {
    tail.watcher?.close();
    tail.watcher = undefined;
    const fh = tail.fh;
    tail.fh = undefined;
    return fh?.close().catch(() => {});
  }

  private async guard(tail: Tail, fn: () => Promise<void>) {
    try {
      await fn();
    } catch (err) {
      // Redis away or the file unreadable: the offset did not move, the next poll tries again.
      this.o.log?.warn("log shipping", { instance: tail.instanceId, error: (err as Error).message });
    }
  }

  private async pump(tail: Tail) {
    const st = await stat(tail.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return null;
      throw err;
    });
    if (tail.fh && (!st || st.ino !== tail.ino)) {
      // Removed or replaced (renamed away): the old file is still open, so finish it first.
      await this.ship(tail, true);
      await this.forget(tail);
      tail.offset = 0;
    }
    if (!st) return;
    if (!tail.fh) {
      tail.fh = await open(tail.path, "r");
      try {
        tail.watcher = watch(tail.path, { persistent: false }, () => void this.poll(tail));
        tail.watcher.on("error", () => tail.watcher?.close()); // polling still runs
      } catch {
        // out of inotify watches: polling alone, at pollMs
      }
      tail.ino = st.ino;
      if (!tail.resumed) await this.resume(tail);
      tail.resumed = true;
    }
    if (st.size < tail.offset) tail.offset = 0; // truncated by someone: start over
    await this.ship(tail, false);
    await this.bound(tail);
  }

  /** The stored cursor counts only for the same file (inode); a replaced file starts at 0. */
  private async resume(tail: Tail) {
    const c = await this.o.redis.hgetall(this.cursorKey(tail.instanceId));
    tail.offset = Number(c.ino) === tail.ino ? Number(c.offset) || 0 : 0;
  }

  private async ship(tail: Tail, final: boolean) {
    const fh = tail.fh;
    if (!fh) return;
    const buf = Buffer.allocUnsafe(readChunk);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, readChunk, tail.offset);
      if (bytesRead === 0) return;
      const { lines, consumed } = splitLines(buf.subarray(0, bytesRead), this.o.maxLineBytes, final);
      if (consumed === 0) return; // only the start of a line so far
      await this.commit(tail, lines, tail.offset + consumed);
      tail.offset += consumed;
      if (bytesRead < readChunk) return;
    }
  }

  private async commit(tail: Tail, lines: string[], offset: number) {
    const { redis, maxLines, retentionMs } = this.o;
    const key = this.streamKey(tail.instanceId);
    const cursor = this.cursorKey(tail.instanceId);
    const m = redis.multi();
    for (const line of lines) m.xadd(key, "MAXLEN", "~", maxLines, "*", "line", line);
    if (lines.length) m.pexpire(key, retentionMs);
    m.hset(cursor, "offset", offset, "ino", tail.ino);
    m.pexpire(cursor, retentionMs);
    const results = await m.exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (!results || failed) throw failed ?? new Error("log batch discarded");
  }

  /**
   * Keeps the file small: once everything in it is shipped and it passed the threshold, it is
   * truncated. The writer must append (O_APPEND), so its next line lands at the new start. A line
   * written between the size check and the truncation (microseconds) is lost: the price of not
   * asking every driver to reopen its file.
   */
  private async bound(tail: Tail) {
    const limit = this.o.truncateAtBytes;
    if (!limit || tail.offset < limit || !tail.fh) return;
    const [now, named] = await Promise.all([tail.fh.stat(), stat(tail.path)]);
    if (now.size !== tail.offset || named.ino !== tail.ino) return;
    await truncate(tail.path, 0);
    tail.offset = 0;
    await this.o.redis.hset(this.cursorKey(tail.instanceId), "offset", 0, "ino", tail.ino);
  }

  private streamKey(instanceId: string) {
    return logStreamKey(this.o.prefix, this.o.hostId, instanceId);
  }

  private cursorKey(instanceId: string) {
    return logCursorKey(this.o.prefix, this.o.hostId, instanceId);
  }
}
