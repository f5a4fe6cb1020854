import { healthResponse } from "@berth/api";
import { deps } from "@/server/deps";

export const dynamic = "force-dynamic";

export function GET() {
  return healthResponse(deps());
}
