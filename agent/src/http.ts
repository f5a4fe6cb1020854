import {
  type heartbeatRequest,
  heartbeatResponse,
  type InstanceReport,
  type InstanceSpecDto,
  instanceSpecDto,
  type JoinRequest,
  type JoinResponse,
  joinResponse,
  reportResponse,
} from "@berth/contracts";
import type { z } from "zod";
import { ApiError } from "./errors";
import { backoffMs, briefRetry, parseRetryAfter, patientRetry, type RetryPolicy, sleep } from "./retry";

/** Longest wait a Retry-After may ask of us before the next try. */
const maxRetryAfterMs = 60_000;

export type ControlPlaneOptions = {
  server: string;
  hostToken?: string;
  /** Aborts waits and requests when the agent stops. */
  signal?: AbortSignal;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Told before each retry, so a long wait is not a silent one. */
  onRetry?: (info: { what: string; attempt: number; waitMs: number; error: string }) => void;
};

/**
 * The agent endpoints of the REST API. Network errors and 5xx are retried with backoff
 * (Retry-After wins when the server sends it); a 4xx is our mistake or a refusal, and retrying
 * it would only repeat it.
 */
export class ControlPlane {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.base = opts.server.endsWith("/") ? opts.server : `${opts.server}/`;
    this.fetch = opts.fetch ?? fetch;
  }

  join(body: JoinRequest): Promise<JoinResponse> {
    return this.call("POST", "api/v1/agent/join", body, joinResponse, patientRetry);
  }

  heartbeat(body: z.input<typeof heartbeatRequest>) {
    return this.call("POST", "api/v1/agent/heartbeat", body, heartbeatResponse, briefRetry);
  }

  async report(body: InstanceReport) {
    return (await this.call("POST", "api/v1/agent/report", body, reportResponse, patientRetry)).decision;
  }

  /** The instance's spec, or null when it is not (or no longer) assigned to this host. */
  async instance(instanceId: string): Promise<InstanceSpecDto | null> {
    const path = `api/v1/agent/instances/${encodeURIComponent(instanceId)}`;
    try {
      return await this.call("GET", path, undefined, instanceSpecDto, patientRetry);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: S,
    policy: RetryPolicy,
  ): Promise<z.infer<S>> {
    const url = new URL(path, this.base);
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= policy.attempts;
      let res: Response;
      try {
        res = await this.fetch(url, {
          method,
          headers: {
            accept: "application/json",
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...(this.opts.hostToken ? { authorization: `Bearer ${this.opts.hostToken}` } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: this.requestSignal(),
        });
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        const message = `${method} ${url.href}: ${networkMessage(err)}`;
        if (last) throw new ApiError(0, "network", message);
        const waitMs = backoffMs(policy, attempt);
        this.opts.onRetry?.({ what: `${method} ${url.pathname}`, attempt, waitMs, error: message });
        await sleep(waitMs, this.opts.signal);
        continue;
      }
      if (res.ok) return parseBody(res, schema, `${method} ${url.pathname}`);
      const error = await readError(res, `${method} ${url.pathname}`);
      if (res.status < 500 || last) throw error;
      const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
      const waitMs =
        retryAfter !== null
          ? Math.min(retryAfter, policy.maxRetryAfterMs ?? maxRetryAfterMs)
          : backoffMs(policy, attempt);
      this.opts.onRetry?.({ what: `${method} ${url.pathname}`, attempt, waitMs, error: error.message });
      await sleep(waitMs, this.opts.signal);
    }
  }

  private requestSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs ?? 15_000);
    return this.opts.signal ? AbortSignal.any([timeout, this.opts.signal]) : timeout;
  }
}

function networkMessage(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "no answer in time";
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

async function parseBody<S extends z.ZodType>(res: Response, schema: S, what: string): Promise<z.infer<S>> {
  const json: unknown = await res.json().catch(() => undefined);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    throw new ApiError(res.status, "bad_response", `${what}: unexpected answer: ${issues.join("; ")}`);
  }
  return parsed.data;
}

async function readError(res: Response, what: string): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let code = `http_${res.status}`;
  let message = text.slice(0, 500) || res.statusText;
  try {
    const json = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof json.code === "string") code = json.code;
    if (typeof json.message === "string") message = json.message;
  } catch {
    // not JSON (a proxy's error page): keep the text
  }
  return new ApiError(res.status, code, `${what}: ${res.status} ${code}: ${message}`);
}
