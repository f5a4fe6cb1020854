import { openApiDocument } from "@berth/api";
import { env } from "@/server/env";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(openApiDocument(env().BERTH_URL));
}
