// What the guest's console says about the workload: berth-init's markers (native/guest-init), each
// on its own line of ttyS0. The file is appended to by every run of the instance, so each run reads
// from the offset its record keeps. The guest writes this file: it is parsed, never trusted further
// than the instance's own status, and read in bounded windows.
import { constants } from "node:fs";
import { open } from "node:fs/promises";

const window = 64 * 1024;

export const startedMarker = /berth-init: started pid=(\d+)/;
const exitedMarker = /berth-init: exited code=(\d+)/g;
const errorMarker = /berth-init: error ([^\r\n]*)/;

/** Reads [from, from + length) of the console; O_NOFOLLOW, so a link planted there is refused. */
export async function readRange(
  path: string,
  from: number,
  length: number,
): Promise<{ text: string; end: number }> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!fh) return { text: "", end: from };
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, from);
    return { text: buf.subarray(0, bytesRead).toString("utf8"), end: from + bytesRead };
  } finally {
    await fh.close();
  }
}

export async function consoleSize(path: string): Promise<number> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!fh) return 0;
  try {
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

/**
 * Scans forward for the started marker: `pos` is where the last scan stopped. Lines may be split
 * between two scans, so each scan re-reads a little before `pos`.
 */
export async function scanStarted(
  path: string,
  pos: number,
  floor: number,
): Promise<{ found: boolean; pos: number }> {
  const from = Math.max(floor, pos - 256);
  const { text, end } = await readRange(path, from, window);
  return { found: startedMarker.test(text), pos: end };
}

/** The end of this run's console: its last `window` bytes after `from` (the unikernel level reads it too). */
export async function lastWindow(path: string, from: number): Promise<string> {
  const size = await consoleSize(path);
  const start = Math.max(from, size - window);
  return (await readRange(path, start, size - start)).text;
}

/** The exit code berth-init reported for this run (the last marker), or undefined. */
export async function exitCodeOf(path: string, from: number): Promise<number | undefined> {
  const text = await lastWindow(path, from);
  let code: number | undefined;
  for (const m of text.matchAll(exitedMarker)) code = Math.min(255, Number(m[1]));
  return code;
}

/** berth-init's error line for this run (a failure before the workload ran), or undefined. */
export async function initErrorOf(path: string, from: number): Promise<string | undefined> {
  const error = (await lastWindow(path, from)).match(errorMarker)?.[1];
  return error ? `berth-init: ${error.trim()}` : undefined;
}

/** berth-init's error line, or else the console's last lines: why a VM failed, for its status. */
export async function failureOf(path: string, from: number, lines = 8): Promise<string> {
  const text = await lastWindow(path, from);
  const error = text.match(errorMarker)?.[1];
  if (error) return `berth-init: ${error.trim()}`;
  const tail = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines);
  return tail.length ? tail.join(" | ").slice(-1500) : "the console is empty";
}
