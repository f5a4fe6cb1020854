import { toNextJsHandler } from "better-auth/next-js";
import { deps } from "@/server/deps";

export const dynamic = "force-dynamic";

export function GET(req: Request) {
  return toNextJsHandler(deps().auth).GET(req);
}
export function POST(req: Request) {
  return toNextJsHandler(deps().auth).POST(req);
}
