import type { Client } from "./client";
import { CliError } from "./errors";

type OpenApiDocument = { paths?: Record<string, unknown> };

/**
 * `berth logs` finds the log route in the server's OpenAPI document (GET /api/v1/openapi.json), so
 * it works with servers older than the log API too: the first path ending in `/logs` under a
 * deployment, `/tenants/{tenantId}/deployments/{deploymentId}/logs` today, is used as is, for lines
 * (JSON `{ lines: [{ instanceId, ts, line }] }`) and, with `follow=true` and
 * `Accept: text/event-stream`, as a server-sent event stream. When the document is missing or has
 * no such path, the caller falls back to a notice.
 */
export async function findLogsRoute(client: Client): Promise<string | null> {
  let doc: OpenApiDocument;
  try {
    doc = await client.request<OpenApiDocument>("GET", "/openapi.json");
  } catch {
    return null; // no document: an older server, or one behind a proxy that hides it
  }
  const paths = Object.keys(doc.paths ?? {}).filter((p) => p.endsWith("/logs"));
  return paths.find((p) => p.includes("{deploymentId}")) ?? paths[0] ?? null;
}

/** Fills `{name}` placeholders; null when the route needs a value we do not have. */
export function fillRoute(template: string, values: Record<string, string>): string | null {
  let missing = false;
  const path = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) missing = true;
    return encodeURIComponent(v ?? "");
  });
  return missing ? null : path;
}

/** One line, and the instance that wrote it when the server says. */
export type LogEntry = { line: string; instanceId?: string };

/** Accepts the shapes a line API is likely to take: strings, `{ line | message | text }`, or `{ lines }`. */
export function toEntries(body: unknown): LogEntry[] {
  const list = Array.isArray(body) ? body : (body as { lines?: unknown } | null)?.lines;
  if (!Array.isArray(list))
    return (typeof body === "string" ? body.split("\n") : [JSON.stringify(body)]).map((line) => ({ line }));
  return list.map((entry) => {
    if (typeof entry === "string") return { line: entry };
    const e = entry as { line?: unknown; message?: unknown; text?: unknown; instanceId?: unknown };
    const text = e.line ?? e.message ?? e.text;
    const line = typeof text === "string" ? text : JSON.stringify(entry);
    return typeof e.instanceId === "string" ? { line, instanceId: e.instanceId } : { line };
  });
}

export const toLines = (body: unknown): string[] => toEntries(body).map((e) => e.line);

export async function fetchEntries(client: Client, path: string): Promise<LogEntry[]> {
  const res = await client.raw(path, { accept: "application/json, text/plain" });
  const text = await res.text();
  try {
    return toEntries(JSON.parse(text));
  } catch {
    return text
      .split("\n")
      .filter((l, i, all) => l !== "" || i < all.length - 1)
      .map((line) => ({ line }));
  }
}

export async function fetchLines(client: Client, path: string): Promise<string[]> {
  return (await fetchEntries(client, path)).map((e) => e.line);
}

/** Server-sent events: one `data:` field (possibly multi-line) per event, each event a log entry. */
export async function followLines(
  client: Client,
  path: string,
  onLine: (line: string, entry: LogEntry) => void,
): Promise<void> {
  const sep = path.includes("?") ? "&" : "?";
  const res = await client.raw(`${path}${sep}follow=true`, {
    accept: "text/event-stream",
    signal: new AbortController().signal,
  });
  if (!res.headers.get("content-type")?.includes("text/event-stream") || !res.body) {
    for (const e of toEntries(await res.text())) onLine(e.line, e);
    return;
  }
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true }).replace(/\r\n?/g, "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = event.split("\n");
      const data = fields.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, ""));
      // the server ends the stream when access is lost or the deployment is gone, saying why
      if (fields.some((l) => /^event: ?end$/.test(l))) {
        const why = parseMaybeJson(data.join("\n"));
        const message = Array.isArray(why) ? (why[0] as { message?: string }).message : why;
        throw new CliError(`the log stream ended: ${message ?? "no reason given"}`);
      }
      if (data.length) for (const e of toEntries(parseMaybeJson(data.join("\n")))) onLine(e.line, e);
      end = buffer.indexOf("\n\n");
    }
  }
}

function parseMaybeJson(text: string): unknown {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null ? [v] : text;
  } catch {
    return text;
  }
}
