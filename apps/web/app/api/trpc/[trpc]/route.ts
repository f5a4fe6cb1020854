import { appRouter, createContext } from "@berth/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { deps } from "@/server/deps";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext(deps(), req.headers),
  });
}

export { handler as GET, handler as POST };
