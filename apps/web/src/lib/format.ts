const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
const rel = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function formatDate(iso: string | null | undefined): string {
  return iso ? dateFmt.format(new Date(iso)) : "—";
}

// [unit, seconds per unit, from how many seconds on it is used]: "in 30 days" reads better than "next month".
const steps: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ["year", 31_536_000, 31_536_000],
  ["month", 2_592_000, 5_184_000],
  ["day", 86_400, 86_400],
  ["hour", 3_600, 3_600],
  ["minute", 60, 60],
];

/** "3 minutes ago", "in 30 days"; "just now" under a minute. */
export function formatRelative(iso: string, now = Date.now()): string {
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size, from] of steps) {
    if (Math.abs(secs) >= from) return rel.format(Math.round(secs / size), unit);
  }
  return "just now";
}

export function formatMemory(mib: number): string {
  return mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GiB` : `${mib} MiB`;
}

export function formatCpu(millis: number): string {
  return `${+(millis / 1000).toFixed(2)} vCPU`;
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const byteUnits = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 -> "1.5 KiB": one decimal under 10 of a unit, none above. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < byteUnits.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u > 0 && v < 10 ? v.toFixed(1) : Math.round(v)} ${byteUnits[u]}`;
}
