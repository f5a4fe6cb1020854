import { usageError } from "./errors";

/** Commander accumulator for repeatable flags (`--port 80 --port 443`). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

const envKey = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--env K=V` (repeatable). The value may contain `=` and may be empty; the key must be a variable name. */
export function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw usageError(`--env: "${pair}" must be KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (!envKey.test(key)) {
      throw usageError(
        `--env: "${key}" is not a valid variable name (letters, digits, _; not starting with a digit)`,
      );
    }
    if (key in env) throw usageError(`--env: ${key} is given twice`);
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * `--secret NAME=VALUE` or `--secret NAME` (repeatable), the latter taking the value of the
 * variable NAME of the CLI's own environment, as `docker run -e NAME` does, so that the value is
 * in neither argv (`ps`) nor the shell history. Like --env, but a value may not be empty (an unset
 * shell variable is a mistake, not a value) and no name may also be an env key. Values are never
 * echoed back in a message.
 */
export function parseSecrets(
  pairs: readonly string[],
  env: Record<string, string> = {},
  variable: (name: string) => string | undefined = () => undefined,
): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    // __proto__ would set the object's prototype, not a key
    if (!envKey.test(name) || name === "__proto__") {
      throw usageError(
        `--secret: "${name}" is not a valid variable name (letters, digits, _; not starting with a digit)`,
      );
    }
    if (Object.hasOwn(secrets, name)) throw usageError(`--secret: ${name} is given twice`);
    if (Object.hasOwn(env, name)) throw usageError(`--secret: ${name} is also given with --env`);
    const value = eq < 0 ? variable(name) : pair.slice(eq + 1);
    if (value === undefined)
      throw usageError(`--secret: ${name} has no value: give ${name}=VALUE, or export ${name} first`);
    if (value === "") throw usageError(`--secret: ${name} has an empty value`);
    secrets[name] = value;
  }
  return secrets;
}

export type PortSpec = { port: number; protocol: "tcp" | "udp" };

/** `--port 8080` or `--port 53/udp` (repeatable). */
export function parsePorts(values: readonly string[]): PortSpec[] {
  const seen = new Set<string>();
  return values.map((raw) => {
    const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(raw.trim());
    const port = m?.[1] ? Number(m[1]) : Number.NaN;
    if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw usageError(
        `--port: "${raw}" must be a port number from 1 to 65535, optionally with /tcp or /udp`,
      );
    }
    const protocol = (m[2]?.toLowerCase() ?? "tcp") as PortSpec["protocol"];
    const key = `${port}/${protocol}`;
    if (seen.has(key)) throw usageError(`--port: ${key} is given twice`);
    seen.add(key);
    return { port, protocol };
  });
}

export type VolumeFlag = { name: string; mountPath: string; sizeMiB?: number; readOnly: boolean };

/** `--volume NAME:/PATH[:SIZE_MiB][:ro]`, e.g. data:/data, data:/data:512, data:/srv:ro. */
export function parseVolumes(values: readonly string[]): VolumeFlag[] {
  return values.map((raw) => {
    const m = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?):(\/[^:]*)(?::(\d+))?(?::(ro|rw))?$/.exec(raw.trim());
    if (!m?.[1] || !m[3])
      throw usageError(
        `--volume: "${raw}" must be NAME:/PATH, optionally with :SIZE_MiB and :ro, e.g. data:/data:512`,
      );
    return {
      name: m[1],
      mountPath: m[3],
      ...(m[4] ? { sizeMiB: Number(m[4]) } : {}),
      readOnly: m[5] === "ro",
    };
  });
}

/** A whole number within bounds, for flags such as --replicas; names the flag when it is not. */
export function parseIntFlag(
  flag: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${flag}: "${raw}" must be a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parseChoice<T extends string>(
  flag: string,
  raw: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw))
    throw usageError(`${flag}: "${raw}" must be one of ${choices.join(", ")}`);
  return raw as T;
}

/**
 * The deployment name an image gets by default: its last path segment without tag or digest,
 * made a DNS label (deployment names become host names).
 * `127.0.0.1:5000/examples/hello:latest` → `hello`; `ghcr.io/Org/My_App@sha256:…` → `my-app`.
 */
export function deriveName(image: string): string {
  const withoutDigest = image.split("@")[0] ?? "";
  const segment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const withoutTag = segment.split(":")[0] ?? "";
  const name = withoutTag
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  if (!name) throw usageError(`cannot derive a deployment name from "${image}"; pass --name`);
  return name;
}

const dnsLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkName(name: string): string {
  if (!dnsLabel.test(name))
    throw usageError(`--name: "${name}" must be 1 to 63 lowercase letters, digits or dashes`);
  return name;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => uuidPattern.test(s);
