import { QueryCache, QueryClient } from "@tanstack/react-query";
import { errorCode } from "@/lib/errors";

// Client errors will not change on a retry; only transient ones are worth repeating.
const noRetry = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "TOO_MANY_REQUESTS",
]);

export function makeQueryClient(onUnauthorized: () => void) {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (err) => {
        if (errorCode(err) === "UNAUTHORIZED") onUnauthorized();
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (count, err) => !noRetry.has(errorCode(err) ?? "") && count < 2,
      },
    },
  });
}
