import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LogShipper } from "./shipper";

/**
 * Ships every `<dir>/<instanceId>/<file>` it finds, rescanning every `intervalMs`: the drivers
 * only write files, and an instance whose directory is gone is unwatched (its last lines shipped,
 * its stream kept until it expires). Returns a stop function.
 */
export function watchDirectory(
  shipper: LogShipper,
  dir: string,
  opts: { file?: string; intervalMs?: number } = {},
): () => void {
  const file = opts.file ?? "console.log";
  const mine = new Set<string>();
  let stopped = false;
  const scan = async () => {
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
  let timer: NodeJS.Timeout | undefined;
  const loop = () =>
    void scan().finally(() => {
      if (!stopped) timer = setTimeout(loop, opts.intervalMs ?? 1000);
    });
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
