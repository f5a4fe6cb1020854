import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LogShipper } from "./shipper";

/**
 * Ships every `<dir>/<instanceId>/<file>` it finds: the drivers only write files. The directory is
 * rescanned when inotify reports a change in it (a new instance: its first lines ship at once) and
 * every `intervalMs` regardless. An instance whose directory is gone is unwatched (its last lines
 * shipped, its stream kept until it expires). Returns a stop function.
 */
export function watchDirectory(
  shipper: LogShipper,
  dir: string,
  opts: { file?: string; intervalMs?: number } = {},
): () => void {
  const file = opts.file ?? "console.log";
  const mine = new Set<string>();
  let stopped = false;
  let watcher: FSWatcher | undefined;
  const scan = async () => {
    watcher ??= watchDir(dir, () => void rescan());
    const entries = await readdir(dir).catch(() => [] as string[]);
    const present = new Set<string>();
    await Promise.all(
      entries.map(async (id) => {
        const path = join(dir, id, file);
        if (
          !(await stat(path).then(
            (s) => s.isFile(),
            () => false,
          ))
        )
          return;
        present.add(id);
        if (stopped) return;
        mine.add(id);
        shipper.watch(id, path);
      }),
    );
    for (const id of mine)
      if (!present.has(id)) {
        mine.delete(id);
        void shipper.unwatch(id);
      }
  };
  // One scan at a time; a change during a scan asks for one more.
  let running: Promise<void> | undefined;
  let again = false;
  const rescan = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = scan()
      .catch(() => {})
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void rescan();
        }
      });
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = () =>
    void rescan().finally(() => {
      if (!stopped) timer = setTimeout(loop, opts.intervalMs ?? 1000);
    });
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher?.close();
  };
}

/** Undefined while the directory does not exist yet (the next scan tries again) or watches ran out. */
function watchDir(dir: string, onChange: () => void): FSWatcher | undefined {
  try {
    const w = watch(dir, { persistent: false }, onChange);
    w.on("error", () => w.close());
    return w;
  } catch {
    return undefined;
  }
}
