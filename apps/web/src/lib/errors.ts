import type { z } from "zod";
import { capitalize } from "./format";

type Issue = { path?: readonly PropertyKey[]; message: string };
type ErrorLike = {
  message?: string;
  data?: { code?: string; httpStatus?: number; issues?: Issue[] | null } | null;
};

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** The first message per field of a failed zod parse. */
export function zodFieldErrors<F extends string>(error: z.ZodError): FieldErrors<F> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "");
    if (key && !out[key]) out[key] = capitalize(issue.message);
  }
  return out as FieldErrors<F>;
}

export function errorCode(err: unknown): string | undefined {
  return (err as ErrorLike | null)?.data?.code ?? undefined;
}

/** A sentence for the user from anything a tRPC call or fetch can throw. */
export function errorMessage(err: unknown): string {
  const e = err as ErrorLike | null;
  const code = e?.data?.code;
  if (code === "TOO_MANY_REQUESTS") return "Too many requests. Wait a minute and try again.";
  if (code === "INTERNAL_SERVER_ERROR") return "Something went wrong on our side. Try again in a moment.";
  if (code === "SERVICE_UNAVAILABLE") return "The service is unavailable right now. Try again shortly.";
  const msg = e?.message?.trim();
  if (!msg || /failed to fetch|networkerror/i.test(msg))
    return "Could not reach the server. Check your connection and retry.";
  return capitalize(msg);
}

/**
 * Splits a server error into inline field messages and a form-level message. The API names the
 * field first ("slug: \"acme\" is taken"), and validation errors also carry structured issues.
 */
export function serverErrors<F extends string>(
  err: unknown,
  fields: readonly F[],
): { fields: FieldErrors<F>; form: string | null } {
  const e = err as ErrorLike | null;
  const out: Record<string, string> = {};
  const rest: string[] = [];
  const issues = e?.data?.issues;
  const parts: Issue[] = issues?.length
    ? issues
    : (e?.message ?? "").split("; ").map((p) => {
        const m = /^([A-Za-z][\w.]*): (.+)$/s.exec(p);
        return m?.[1] && m[2] ? { path: m[1].split("."), message: m[2] } : { message: p };
      });
  for (const p of parts) {
    const key = String(p.path?.[0] ?? "");
    if ((fields as readonly string[]).includes(key)) {
      out[key] ??= capitalize(p.message);
    } else {
      rest.push(p.message);
    }
  }
  const anyField = Object.keys(out).length > 0;
  const form = rest.length ? (anyField ? capitalize(rest.join("; ")) : errorMessage(err)) : null;
  return { fields: out as FieldErrors<F>, form };
}
