import { createOpenApiFetchHandler, generateOpenApiDocument } from "trpc-to-openapi";
import { createContext } from "./context";
import type { Deps } from "./deps";
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

type ErrorBody = { message?: string; code?: string; issues?: { path?: PropertyKey[]; message: string }[] };

/**
 * Serves /api/v1 from the tRPC router and rewrites error bodies into one shape,
 * `{ code, message, issues? }`, whose message names the offending field.
 */
export async function handleRest(deps: Deps, req: Request): Promise<Response> {
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
