import { envKey, secretValue } from "@berth/contracts";

/**
 * Secrets typed as text, one NAME=value a line as env is (lib/env-text.ts), checked line by line
 * so that each message names its line: the API's rules for names and values, no name twice, and
 * none that is also an environment variable (the API refuses that too, naming the field only).
 */
export function parseSecretText(
  text: string,
  envKeys: Iterable<string>,
): { secrets: Record<string, string>; error: string | null } {
  const env = new Set(envKeys);
  const secrets = new Map<string, string>();
  const done = (error: string | null) => ({ secrets: Object.fromEntries(secrets), error });
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const at = `line ${i + 1}`;
    const eq = line.indexOf("=");
    if (eq <= 0) return done(`${at} must look like NAME=value`);
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1);
    if (!envKey.safeParse(name).success || name === "__proto__")
      return done(`${at}: ${name} is not a variable name (letters, digits and _, not starting with a digit)`);
    if (secrets.has(name)) return done(`${at} sets ${name} a second time`);
    const v = secretValue.safeParse(value);
    if (!v.success) return done(`${at}: the value of ${name} ${v.error.issues[0]?.message ?? "is invalid"}`);
    if (env.has(name)) return done(`${at}: ${name} is also an environment variable; use one or the other`);
    secrets.set(name, value);
  }
  return done(null);
}
