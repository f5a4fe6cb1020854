import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/unstable-core-do-not-import";

export const appErrorCodes = {
  BAD_REQUEST: { trpc: "BAD_REQUEST", http: 400 },
  UNAUTHORIZED: { trpc: "UNAUTHORIZED", http: 401 },
  FORBIDDEN: { trpc: "FORBIDDEN", http: 403 },
  NOT_FOUND: { trpc: "NOT_FOUND", http: 404 },
  CONFLICT: { trpc: "CONFLICT", http: 409 },
  QUOTA_EXCEEDED: { trpc: "UNPROCESSABLE_CONTENT", http: 422 },
  RATE_LIMITED: { trpc: "TOO_MANY_REQUESTS", http: 429 },
  UNAVAILABLE: { trpc: "SERVICE_UNAVAILABLE", http: 503 },
} as const satisfies Record<string, { trpc: TRPC_ERROR_CODE_KEY; http: number }>;

export type AppErrorCode = keyof typeof appErrorCodes;

/** The one error type services throw; routers and the REST layer map it in one place. */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const UNSTORABLE_TEXT = "body: holds text Postgres cannot store";

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);

type PrismaLikeError = { code?: string; meta?: { target?: unknown; modelName?: string } };

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; cause?: unknown } | null;
  if (!e) return false;
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "57P03", "P1001", "P1017"].includes(e.code ?? ""))
    return true;
  if (
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Can't reach database server|Client has encountered a connection error|terminating connection due to administrator command|the database system is (shutting down|starting up)/i.test(
      e.message ?? "",
    )
  )
    return true;
  return e.cause !== undefined && e.cause !== err && isConnectionError(e.cause);
}

/** Maps anything thrown below a procedure to a TRPCError; unknown errors stay 500. */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof AppError) {
    return new TRPCError({ code: appErrorCodes[err.code].trpc, message: err.message, cause: err });
  }
  const prismaCode = (err as PrismaLikeError | null)?.code;
  if (prismaCode === "P2002") {
    return new TRPCError({ code: "CONFLICT", message: "already exists", cause: err as Error });
  }
  if (prismaCode === "P2025") {
    return new TRPCError({ code: "NOT_FOUND", message: "not found", cause: err as Error });
  }
  // no pooled connection within the transaction's wait: the database is saturated, not broken
  if (prismaCode === "P2028") {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "the database is busy; retry shortly",
      cause: err as Error,
    });
  }
  // invalid text for Postgres (a NUL byte, an encoding it cannot store) is the caller's input
  const pgCode = (err as { cause?: { originalCode?: string } } | null)?.cause?.originalCode;
  if (pgCode === "22021" || pgCode === "22P05") {
    return new TRPCError({
      code: "BAD_REQUEST",
      message: UNSTORABLE_TEXT,
      cause: err as Error,
    });
  }
  if (isConnectionError(err)) {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "the database is unavailable; retry shortly",
      cause: err as Error,
    });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "internal error", cause: err as Error });
}

export const httpStatusOf: Record<string, number> = {
  BAD_REQUEST: 400,
  PARSE_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};
