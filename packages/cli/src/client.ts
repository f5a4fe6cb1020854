import { CliError } from "./errors";

export const API_PREFIX = "/api/v1";

export type Client = {
  /** The server's base URL, without the API prefix, as the user gave it. */
  readonly baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The raw response for non-JSON bodies (text, server-sent events); errors are still mapped. */
  raw(path: string, init?: { accept?: string; signal?: AbortSignal }): Promise<Response>;
};

/** Accepts `https://host`, `https://host/` and `https://host/api/v1`. */
export function normalizeBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new CliError(`--url: "${input}" is not a URL (expected e.g. http://127.0.0.1:3000)`, 2);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--url: must start with http:// or https://, got "${input}"`, 2);
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
  return `${url.origin}${path}`;
}

const networkReasons: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed by the server",
};

/** fetch() reports every network failure as "fetch failed"; the useful part is in `cause`. */
export function describeNetworkError(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: string; message?: string; cause?: unknown };
    if (code && networkReasons[code]) return networkReasons[code];
    // fetch refuses a fixed list of ports (e.g. 9, 25, 6000) before connecting at all.
    if (message === "bad port") return "fetch refuses to connect to this port; use another one";
    if (code === undefined && cause === undefined && message) return message;
    if (cause === undefined) return code ? `${code}: ${message ?? ""}`.trim() : (message ?? "unknown error");
    e = cause;
  }
  return "unknown error";
}

type ErrorBody = { code?: string; message?: string };

async function errorFrom(res: Response, method: string, url: string): Promise<CliError> {
  const text = await res.text().catch(() => "");
  let body: ErrorBody | null = null;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON: most likely not the Berth API at all (a proxy, or the wrong URL)
  }
  if (body && typeof body.message === "string") return new CliError(body.message, 1, res.status);
  return new CliError(
    `${method} ${url}: HTTP ${res.status} ${res.statusText} (is this a Berth server?)`,
    1,
    res.status,
  );
}

export function createClient(opts: { url: string; token: string; timeoutMs?: number }): Client {
  const baseUrl = normalizeBaseUrl(opts.url);
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function send(
    method: string,
    path: string,
    init: { body?: unknown; accept: string; signal?: AbortSignal },
  ) {
    const url = `${baseUrl}${API_PREFIX}${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, accept: init.accept };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === "TimeoutError") {
        throw new CliError(`cannot reach ${baseUrl}: no answer within ${timeoutMs / 1000} s`);
      }
      throw new CliError(`cannot reach ${baseUrl}: ${describeNetworkError(err)}`);
    }
    if (!res.ok) throw await errorFrom(res, method, url);
    return res;
  }

  return {
    baseUrl,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(method, path, { body, accept: "application/json" });
      const text = await res.text();
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(
          `${method} ${baseUrl}${API_PREFIX}${path}: the answer is not JSON (is this a Berth server?)`,
        );
      }
    },
    raw(path, init = {}) {
      return send("GET", path, { accept: init.accept ?? "*/*", signal: init.signal });
    },
  };
}
