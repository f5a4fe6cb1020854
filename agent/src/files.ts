// Writing a file so that a crash leaves the old content or the new, never half of either: a
// temporary file beside it (created with `mode`, so secrets are never readable by others, not even
// for a moment), fsynced, renamed over the old one, and with `syncDir` the rename made durable too.
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(
  path: string,
  text: string,
  opts: { mode?: number; syncDir?: boolean } = {},
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const handle = await open(tmp, "wx", opts.mode ?? 0o600);
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (!opts.syncDir) return;
  const d = await open(dirname(path), "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
