import "server-only";
import { createCaller, createContext } from "@berth/api";
import { headers } from "next/headers";
import { deps } from "./deps";

/** tRPC caller for server components, acting as the signed-in user of this request. */
export async function serverCaller() {
  // Reading the headers first marks the page dynamic before any connection is opened, so a
  // page that uses this is never rendered at build time.
  const h = await headers();
  const ctx = await createContext(deps(), h);
  return { caller: createCaller(ctx), actor: ctx.actor };
}
