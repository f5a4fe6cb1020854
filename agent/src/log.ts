/**
 * A tiny structured logger: one line per event on stderr. Each Agent gets its own child with its
 * host id, so hundreds of sim agents in one process stay readable, and nothing is global.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Log {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Log;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function format(fields: Fields): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${typeof v === "string" && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join("");
}

export function createLog(
  opts: { level?: LogLevel; write?: (line: string) => void; fields?: Fields } = {},
): Log {
  const min = rank[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const base = opts.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields: Fields = {}) => {
    if (rank[level] < min) return;
    write(`${new Date().toISOString()} ${level} ${msg}${format({ ...base, ...fields })}`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLog({ ...opts, fields: { ...base, ...fields } }),
  };
}

/** For tests and benchmarks that run many agents and want no output. */
export const silentLog: Log = createLog({ write: () => {} });
