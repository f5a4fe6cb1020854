import { deploymentEvents } from "@berth/api";
import { deps } from "@/server/deps";

export const dynamic = "force-dynamic";

export async function GET(
  req: Request,
  ctx: { params: Promise<{ tenantId: string; deploymentId: string }> },
) {
  return deploymentEvents(deps(), req, await ctx.params);
}
