import { openApiDocument } from "@berth/api";
import type { Metadata } from "next";
import { ApiDocs } from "@/components/docs/api-docs";
import type { OpenApiDoc } from "@/components/docs/openapi";
import { PageHeader } from "@/components/ui/page-header";
import { getViewer } from "@/lib/viewer";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "API docs" };
// The document carries this installation's URL, known only at request time.
export const dynamic = "force-dynamic";

export default async function ApiDocsPage() {
  const first = (await getViewer())?.tenants[0];
  const doc = openApiDocument(env().BERTH_URL) as unknown as OpenApiDoc;
  return (
    <>
      <PageHeader
        title="API reference"
        description={
          <>
            {doc.info.title} v{doc.info.version}. The machine-readable OpenAPI document is at{" "}
            <a href="/api/v1/openapi.json" className="font-medium text-link underline underline-offset-4">
              /api/v1/openapi.json
            </a>
            .
          </>
        }
      />
      <ApiDocs doc={doc} tokensHref={first ? `/t/${first.id}/tokens` : "/sign-in"} />
    </>
  );
}
