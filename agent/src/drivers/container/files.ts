// Small file helpers: records are written atomically (temp file, fsync, rename), so a crash of the
// agent never leaves half a JSON file for the next start to trip on.
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../../files";

export function writeAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  return writeFileAtomic(path, text, { mode });
}

export async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
