/** Only same-site paths may be used as a post-sign-in destination (no open redirects). */
export function safeNextPath(raw: unknown, fallback = "/"): string {
  if (typeof raw !== "string" || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) {
    return fallback;
  }
  return raw;
}

export function withNext(path: string, next: string | null | undefined): string {
  return next && next !== "/" ? `${path}?next=${encodeURIComponent(next)}` : path;
}
