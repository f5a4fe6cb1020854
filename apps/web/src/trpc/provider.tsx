"use client";
import type { AppRouter } from "@berth/api";
import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { type ReactNode, useState } from "react";
import { withNext } from "@/lib/next-path";
import { TRPCProvider } from "./client";
import { makeQueryClient } from "./query-client";

function toSignIn() {
  // The session ended (expired or signed out elsewhere): come back here after signing in.
  window.location.assign(withNext("/sign-in", window.location.pathname));
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => makeQueryClient(toSignIn));
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc" })] }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
