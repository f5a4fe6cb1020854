import { handleRest } from "@berth/api";
import { deps } from "@/server/deps";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return handleRest(deps(), req);
}

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
