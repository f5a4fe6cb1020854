// One QEMU's memory on the host, from /proc/<pid>/smaps: RSS and PSS, split into the guest's RAM
// (the anonymous mapping of the guest's size QEMU allocates for it) and the VMM's own memory
// beyond it: TCG's translation cache (the rwx mapping), QEMU's other anonymous memory (heap,
// TCG's tables, thread stacks, device state) and its binary and libraries (file-backed, shared
// between QEMUs: their PSS falls as more VMs run). Page tables and kernel stacks from /status.
import { readFile } from "node:fs/promises";

export type Part = { rssKiB: number; pssKiB: number };
export type QemuMemory = {
  pid: number;
  rssKiB: number;
  pssKiB: number;
  guestRam: Part & { sizeKiB: number };
  tcgCode: Part & { sizeKiB: number };
  otherAnon: Part;
  files: Part;
  /** PSS beyond the guest's RAM: what the VMM itself costs (TCG cache included). */
  vmmPssKiB: number;
  /** The same without TCG's translation cache (what KVM would not have). */
  vmmPssNoTcgKiB: number;
  pageTablesKiB: number;
  threads: number;
};

const zero = (): Part => ({ rssKiB: 0, pssKiB: 0 });
/** x86-64 and arm64 give every thread a 16 KiB kernel stack. */
export const kernelStackKiB = 16;

type Mapping = { perms: string; path: string; sizeKiB: number; rssKiB: number; pssKiB: number };

function parseSmaps(text: string): Mapping[] {
  const maps: Mapping[] = [];
  let cur: Mapping | null = null;
  for (const line of text.split("\n")) {
    const head = line.match(/^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ \d+\s*(.*)$/);
    if (head) {
      cur = { perms: head[1] as string, path: head[2] ?? "", sizeKiB: 0, rssKiB: 0, pssKiB: 0 };
      maps.push(cur);
      continue;
    }
    const kv = line.match(/^(Size|Rss|Pss):\s+(\d+) kB/);
    if (kv && cur) {
      const v = Number(kv[2]);
      if (kv[1] === "Size") cur.sizeKiB = v;
      else if (kv[1] === "Rss") cur.rssKiB = v;
      else cur.pssKiB = v;
    }
  }
  return maps;
}

/**
 * The guest RAM mapping is the anonymous one whose size is the guest's RAM, or a little more
 * (QEMU aligns it and adds a guard page); the largest such if several.
 */
export async function qemuMemory(pid: number, guestMiB: number): Promise<QemuMemory | null> {
  const smaps = await readFile(`/proc/${pid}/smaps`, "utf8").catch(() => "");
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  if (!smaps || !status) return null;
  const maps = parseSmaps(smaps);
  const guestKiB = guestMiB * 1024;
  const anon = (m: Mapping) => m.path === "" || m.path.startsWith("[");
  const ram = maps
    .filter((m) => anon(m) && m.sizeKiB >= guestKiB && m.sizeKiB <= guestKiB + 4096)
    .sort((a, b) => b.rssKiB - a.rssKiB)[0];
  const r: QemuMemory = {
    pid,
    rssKiB: 0,
    pssKiB: 0,
    guestRam: { ...zero(), sizeKiB: ram?.sizeKiB ?? 0 },
    tcgCode: { ...zero(), sizeKiB: 0 },
    otherAnon: zero(),
    files: zero(),
    vmmPssKiB: 0,
    vmmPssNoTcgKiB: 0,
    pageTablesKiB: Number(status.match(/^VmPTE:\s+(\d+)/m)?.[1] ?? 0),
    threads: Number(status.match(/^Threads:\s+(\d+)/m)?.[1] ?? 0),
  };
  for (const m of maps) {
    const part =
      m === ram
        ? r.guestRam
        : m.perms.startsWith("rwx") && anon(m)
          ? r.tcgCode
          : anon(m)
            ? r.otherAnon
            : r.files;
    part.rssKiB += m.rssKiB;
    part.pssKiB += m.pssKiB;
    if (part === r.tcgCode) r.tcgCode.sizeKiB += m.sizeKiB;
    r.rssKiB += m.rssKiB;
    r.pssKiB += m.pssKiB;
  }
  r.vmmPssKiB = r.pssKiB - r.guestRam.pssKiB;
  r.vmmPssNoTcgKiB = r.vmmPssKiB - r.tcgCode.pssKiB;
  return r;
}

/** The mean of each figure over several QEMUs (rounded KiB). */
export function meanMemory(xs: QemuMemory[]) {
  const n = xs.length || 1;
  const avg = (f: (m: QemuMemory) => number) => Math.round(xs.reduce((a, m) => a + f(m), 0) / n);
  const part = (k: "guestRam" | "tcgCode" | "otherAnon" | "files") => ({
    rssKiB: avg((m) => m[k].rssKiB),
    pssKiB: avg((m) => m[k].pssKiB),
  });
  return {
    n: xs.length,
    rssKiB: avg((m) => m.rssKiB),
    pssKiB: avg((m) => m.pssKiB),
    guestRam: part("guestRam"),
    tcgCode: part("tcgCode"),
    otherAnon: part("otherAnon"),
    files: part("files"),
    vmmPssKiB: avg((m) => m.vmmPssKiB),
    vmmPssNoTcgKiB: avg((m) => m.vmmPssNoTcgKiB),
    pageTablesKiB: avg((m) => m.pageTablesKiB),
    kernelStacksKiB: avg((m) => m.threads * kernelStackKiB),
    threads: avg((m) => m.threads),
  };
}
