import "server-only";
import { createCaller, createContext } from "@berth/api";
import { headers } from "next/headers";
import { deps } from "./deps";

/** tRPC caller for server components, acting as the signed-in user of this request. */
export async function serverCaller() {
  const ctx = await createContext(deps(), await headers());
  return { caller: createCaller(ctx), actor: ctx.actor };
}
