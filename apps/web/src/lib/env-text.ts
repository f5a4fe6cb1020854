/**
 * Environment variables edited as text, one KEY=value a line (what a .env file looks like, and
 * what people paste). Blank lines and # comments are skipped; the first = splits, so values may
 * hold = themselves. A line without = is kept as a key with an error, never silently dropped.
 */
export function parseEnvText(text: string): { env: Record<string, string>; error: string | null } {
  const env: Record<string, string> = {};
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { env, error: `line ${i + 1} must look like KEY=value` };
    const key = line.slice(0, eq).trim();
    if (key in env) return { env, error: `line ${i + 1} sets ${key} a second time` };
    env[key] = line.slice(eq + 1);
  }
  return { env, error: null };
}

export function envToText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

export function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
