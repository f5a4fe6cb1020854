import { createRequire } from "node:module";

// Loaded on first use: most invocations print no table, and startup time matters for a CLI.
const require = createRequire(import.meta.url);
let TableClass: typeof import("cli-table3") | undefined;
const loadTable = () => {
  TableClass ??= require("cli-table3") as typeof import("cli-table3");
  return TableClass;
};

export type Column<T> = { header: string; value: (row: T) => string | number | null | undefined };

export type Output = {
  json: boolean;
  /** Machine output: the API's answer, pretty-printed. */
  data(value: unknown): void;
  /** One JSON value per line, for streams (`logs -f --json`). */
  record(value: unknown): void;
  /** Human output; ignored with --json so stdout stays one JSON document. */
  line(text: string): void;
  table<T>(rows: readonly T[], columns: Column<T>[], empty?: string): void;
  /** Notices for humans that must not mix with data, e.g. when stdout is piped. */
  note(text: string): void;
};

// Borderless, like kubectl: easy to read and to grep or cut.
const plain = {
  chars: {
    top: "",
    "top-mid": "",
    "top-left": "",
    "top-right": "",
    bottom: "",
    "bottom-mid": "",
    "bottom-left": "",
    "bottom-right": "",
    left: "",
    "left-mid": "",
    mid: "",
    "mid-mid": "",
    right: "",
    "right-mid": "",
    middle: "   ",
  },
  style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
};

export function renderTable<T>(rows: readonly T[], columns: Column<T>[]): string {
  const Table = loadTable();
  const table = new Table({ ...plain, head: columns.map((c) => c.header.toUpperCase()) });
  for (const row of rows) table.push(columns.map((c) => String(c.value(row) ?? "-")));
  return table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}

/** Key/value lines for one object, aligned. */
export function renderFields(fields: [string, string | number | null | undefined][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v ?? "-"}`).join("\n");
}

export function createOutput(json: boolean, out = process.stdout, err = process.stderr): Output {
  return {
    json,
    data: (value) => out.write(`${JSON.stringify(value, null, 2)}\n`),
    record: (value) => out.write(`${JSON.stringify(value)}\n`),
    line: (text) => {
      if (!json) out.write(`${text}\n`);
    },
    table(rows, columns, empty) {
      if (json) return;
      if (rows.length === 0 && empty) out.write(`${empty}\n`);
      else out.write(`${renderTable(rows, columns)}\n`);
    },
    note: (text) => err.write(`${text}\n`),
  };
}

/** "5m ago" for recent past times, the UTC date and minute otherwise. */
export function when(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s >= 0 && s < 60) return `${s}s ago`;
  if (s >= 0 && s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s >= 0 && s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}
