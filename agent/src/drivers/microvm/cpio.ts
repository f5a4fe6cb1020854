// A writer for the "newc" cpio format, the only one the kernel's initramfs unpacker reads.
// Each entry is a 110-byte ASCII header (13 fields of 8 hex digits), the NUL-terminated name padded
// to 4 bytes, then the data padded to 4 bytes; "TRAILER!!!" ends an archive. The kernel unpacks
// concatenated archives in order, so a per-instance archive can simply be appended to a base one.

export type CpioEntry =
  | { type: "dir"; name: string; mode?: number }
  | { type: "file"; name: string; data: Uint8Array; mode?: number }
  | { type: "char"; name: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const TRAILER = "TRAILER!!!";

const hex8 = (n: number) => n.toString(16).padStart(8, "0");
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function modeOf(e: CpioEntry): number {
  if (e.type === "dir") return S_IFDIR | (e.mode ?? 0o755);
  if (e.type === "char") return S_IFCHR | (e.mode ?? 0o600);
  return S_IFREG | (e.mode ?? 0o644);
}

function record(ino: number, name: string, mode: number, data: Uint8Array, rdev = [0, 0]): Buffer {
  if (name.includes("\0") || name.startsWith("/")) throw new Error(`bad cpio name ${JSON.stringify(name)}`);
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [
    ino,
    mode,
    0, // uid: everything in the initramfs belongs to root
    0, // gid
    mode & S_IFDIR ? 2 : 1, // nlink
    0, // mtime: fixed, so the same inputs give the same bytes
    data.length,
    0, // devmajor
    0, // devminor
    rdev[0] ?? 0,
    rdev[1] ?? 0,
    nameBytes.length,
    0, // check: only used by the "crc" variant
  ];
  const header = Buffer.from(`070701${fields.map(hex8).join("")}`, "ascii");
  return Buffer.concat([
    header,
    nameBytes,
    Buffer.alloc(pad4(header.length + nameBytes.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ]);
}

/**
 * One complete archive (ending with the trailer) holding the entries in the given order: parents
 * must come before their children. Names are relative ("init", "lib/x.ko").
 */
export function cpioArchive(entries: CpioEntry[], firstIno = 1): Buffer {
  const parts = entries.map((e, i) => {
    const data = e.type === "file" ? e.data : new Uint8Array();
    const rdev = e.type === "char" ? [e.major, e.minor] : [0, 0];
    return record(firstIno + i, e.name, modeOf(e), data, rdev);
  });
  parts.push(record(0, TRAILER, 0, new Uint8Array()));
  return Buffer.concat(parts);
}
