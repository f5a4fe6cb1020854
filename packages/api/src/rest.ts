import { createOpenApiFetchHandler, generateOpenApiDocument, type OpenApiMeta } from "trpc-to-openapi";
import { createContext } from "./context";
import type { Deps } from "./deps";
import { deploymentLogs, isLogsFollow } from "./logs-stream";
import { router as appRouterRef } from "./rest-router";
import { describeIssues } from "./trpc";

export const REST_PREFIX = "/api/v1";

export function openApiDocument(baseURL: string) {
  return generateOpenApiDocument(appRouterRef, {
    title: "Berth API",
    version: "1",
    description:
      "REST API of the Berth control plane, generated from the same tRPC procedures the dashboard uses. Authenticate with `Authorization: Bearer <API token>`.",
    baseUrl: `${baseURL}${REST_PREFIX}`,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
  });
}

let cached: { baseURL: string; doc: ReturnType<typeof openApiDocument> } | undefined;
function cachedDocument(baseURL: string) {
  if (cached?.baseURL !== baseURL) cached = { baseURL, doc: openApiDocument(baseURL) };
  return cached.doc;
}

type ErrorBody = { message?: string; code?: string; issues?: { path?: PropertyKey[]; message: string }[] };

const coercible = new Set(["number", "boolean", "bigint", "date"]);

/**
 * trpc-to-openapi switches zod's `coerce` on, in place, in the schemas of every route it serves,
 * JSON bodies included: `{"replicas": null}` became 0 replicas and `"2"` or `[2]` became 2, and as
 * the schemas are shared, tRPC callers got the same lenience once any REST request had run. Query
 * strings need coercion (they carry only strings); JSON bodies carry types, so the schemas of
 * body-carrying routes keep the `coerce` they were written with.
 */
function pinCoercion(node: unknown, seen = new Set<unknown>()): void {
  if (!node || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) {
    // an object's shape, or a union's options
    for (const child of Object.values(node)) pinCoercion(child, seen);
    return;
  }
  if (coercible.has(String(def.type))) {
    const coerce = def.coerce === true;
    Object.defineProperty(def, "coerce", {
      get: () => coerce,
      set: () => {},
      enumerable: true,
      configurable: true,
    });
  }
  for (const [key, child] of Object.entries(def)) if (key !== "checks") pinCoercion(child, seen);
  if (typeof def.getter === "function") pinCoercion(def.getter(), seen);
}

// At run time `procedures` is flat, keyed "tenants.create"; its declared type is the nested router.
type ProcedureDef = { _def: { meta?: OpenApiMeta; inputs: unknown[] } };
for (const procedure of Object.values(
  appRouterRef._def.procedures as unknown as Record<string, ProcedureDef>,
)) {
  const method = procedure._def.meta?.openapi?.method;
  if (method && method !== "GET" && method !== "DELETE")
    for (const input of procedure._def.inputs) pinCoercion(input);
}

/**
 * Serves /api/v1 from the tRPC router and rewrites error bodies into one shape,
 * `{ code, message, issues? }`, whose message names the offending field.
 */
export async function handleRest(deps: Deps, req: Request): Promise<Response> {
  if (req.method === "GET" && new URL(req.url).pathname === `${REST_PREFIX}/openapi.json`) {
    return Response.json(cachedDocument(deps.baseURL));
  }
  const follow = isLogsFollow(req);
  if (follow) return deploymentLogs(deps, req, follow);
  if (req.method === "GET" || req.method === "DELETE") {
    // trpc-to-openapi gathers query parameters in a plain object, where `constructor`, `toString`
    // or `__proto__` already exist: such a parameter crashed it into a 500.
    const clash = [...new URL(req.url).searchParams.keys()].find((k) => k in Object.prototype);
    if (clash) {
      const body = { code: "BAD_REQUEST", message: `${clash}: not a known query parameter` };
      return new Response(JSON.stringify(body), {
        status: 400,
        headers: { "content-type": "application/json" },
      });
    }
  }
  // An action such as POST .../leave needs no body; trpc-to-openapi insists on a JSON one.
  if (
    req.method !== "GET" &&
    req.method !== "DELETE" &&
    !req.headers.get("content-type") &&
    req.body === null
  ) {
    const headers = new Headers(req.headers);
    headers.set("content-type", "application/json");
    req = new Request(req.url, { method: req.method, headers, body: "{}", signal: req.signal });
  }
  const res = await createOpenApiFetchHandler({
    endpoint: REST_PREFIX,
    router: appRouterRef,
    req,
    createContext: () => createContext(deps, req.headers),
  });
  if (res.status < 400) return res;
  const body = (await res.json().catch(() => ({}))) as ErrorBody;
  let message = body.message ?? "error";
  if (body.issues?.length) message = describeIssues(body.issues);
  else if (body.code === "PARSE_ERROR") message = "body: not valid JSON";
  else if (res.status === 415) message = "body: must be JSON, sent with content-type: application/json";
  else if (res.status === 404 && message === "Not found") {
    message = `no route ${req.method} ${new URL(req.url).pathname}`;
  }
  const headers = new Headers({ "content-type": "application/json" });
  if (res.status === 503) headers.set("retry-after", "5");
  return new Response(JSON.stringify({ code: body.code, message, issues: body.issues }), {
    status: res.status,
    headers,
  });
}
