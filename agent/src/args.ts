import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { UsageError } from "./errors";

export type JoinArgs = {
  server: string;
  token: string;
  name: string;
  address: string | undefined;
  labels: Record<string, string>;
  stateFile: string;
  sim: boolean;
};

export type RunArgs = {
  stateFile: string;
  sim: boolean;
  simDelayMs: number | undefined;
  waitForJoin: boolean;
};

/** parseArgs's own errors already name the flag; they only need to become usage errors. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function serverUrl(value: string | undefined): string {
  if (!value)
    throw new UsageError("--server is required (the control plane's URL, e.g. https://berth.example.com)");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--server "${value}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`--server "${value}" must be an http:// or https:// URL`);
  if (url.username || url.password || url.search || url.hash)
    throw new UsageError(`--server "${value}" must have no credentials, query or fragment`);
  return url.href.replace(/\/+$/, "");
}

function labels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`--label "${v}" must be key=value`);
    const key = v.slice(0, eq);
    if (key in out) throw new UsageError(`--label "${key}" is given twice`);
    out[key] = v.slice(eq + 1);
  }
  return out;
}

/** The machine's host name reduced to what the control plane accepts as a host name. */
export function defaultHostName(raw: string = hostname()): string {
  const cleaned = raw.replace(/[^a-zA-Z0-9.-]/g, "-").replace(/^[^a-zA-Z0-9]+/, "");
  return cleaned.slice(0, 63) || "host";
}

export function parseJoinArgs(args: string[], defaults: { stateFile: string }): JoinArgs {
  const { values: v } = asUsage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        name: { type: "string" },
        address: { type: "string" },
        label: { type: "string", multiple: true },
        state: { type: "string" },
        sim: { type: "boolean" },
      },
    }),
  );
  if (!v.token) throw new UsageError("--token is required (the one-time join token an operator issued)");
  return {
    server: serverUrl(v.server),
    token: v.token,
    name: v.name ?? defaultHostName(),
    address: v.address,
    labels: labels(v.label ?? []),
    stateFile: v.state || defaults.stateFile,
    sim: v.sim ?? false,
  };
}

export function parseRunArgs(args: string[], defaults: { stateFile: string }): RunArgs {
  const { values: v } = asUsage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        state: { type: "string" },
        sim: { type: "boolean" },
        "sim-delay-ms": { type: "string" },
        "wait-for-join": { type: "boolean" },
      },
    }),
  );
  const sim = v.sim ?? false;
  const rawDelay = v["sim-delay-ms"];
  let simDelayMs: number | undefined;
  if (rawDelay !== undefined) {
    if (!sim) throw new UsageError("--sim-delay-ms needs --sim");
    simDelayMs = Number(rawDelay);
    if (!/^\d+$/.test(rawDelay) || simDelayMs > 600_000)
      throw new UsageError(
        `--sim-delay-ms "${rawDelay}" must be a whole number of milliseconds, 0 to 600000`,
      );
  }
  return {
    stateFile: v.state || defaults.stateFile,
    sim,
    simDelayMs,
    waitForJoin: v["wait-for-join"] ?? false,
  };
}
