// What a unikernel's console says (native/unikernel/platform: one line per marker on COM1):
// `unikernel: NAME booting`, `unikernel: NAME listening on IP:PORT`, `unikernel: exception N (...)`
// and `unikernel: halted code=N`. The guest writes the file: it is parsed, never trusted further
// than the instance's own status, and read in bounded windows (the micro-VM level's readers).
import { lastWindow, readRange } from "../microvm/console";

const window = 64 * 1024;
const bootingMarker = /unikernel: \S+ booting/;
const listeningMarker = /unikernel: \S+ listening on \S+/;
const haltedMarker = /unikernel: halted code=(\d+)/g;
const exceptionMarker = /unikernel: exception \d+[^\r\n]*/;

export type ReadyOn = "booting" | "listening";

/** Scans forward from `pos` for the marker that makes the instance running. */
export async function scanReady(path: string, pos: number, floor: number, on: ReadyOn) {
  const from = Math.max(floor, pos - 256);
  const { text, end } = await readRange(path, from, window);
  return { found: (on === "listening" ? listeningMarker : bootingMarker).test(text), pos: end };
}

/** The code of this run's last `halted` line, or undefined. */
export async function haltCodeOf(path: string, from: number): Promise<number | undefined> {
  let code: number | undefined;
  for (const m of (await lastWindow(path, from)).matchAll(haltedMarker)) code = Math.min(255, Number(m[1]));
  return code;
}

/** This run's exception line (a crash), or undefined. */
export async function exceptionOf(path: string, from: number): Promise<string | undefined> {
  return (await lastWindow(path, from)).match(exceptionMarker)?.[0]?.trim().slice(0, 500);
}

/** The console's last lines: why a unikernel failed, for its status. */
export async function tailOf(path: string, from: number, lines = 6): Promise<string> {
  const tail = (await lastWindow(path, from))
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines);
  return tail.length ? tail.join(" | ").slice(-1000) : "the console is empty";
}
