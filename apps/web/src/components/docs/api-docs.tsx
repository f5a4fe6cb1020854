import Link from "next/link";
import type { ReactNode } from "react";
import { Badge, type BadgeTone } from "../ui/badge";
import { Card } from "../ui/card";
import { bodySchema, curlExample, type Endpoint, groupByTag, type OpenApiDoc, typeOf } from "./openapi";

const methodTone: Record<string, BadgeTone> = {
  GET: "info",
  POST: "success",
  PUT: "warning",
  PATCH: "warning",
  DELETE: "danger",
};

const anchor = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** `code` spans in the document's prose. */
function Prose({ text }: { text: string }) {
  return (
    <>
      {text.split(/(`[^`]+`)/).map((part, i) =>
        part.startsWith("`") ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed split of static text
          <code key={i} className="rounded bg-muted px-1 py-0.5 font-mono text-[0.85em]">
            {part.slice(1, -1)}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="scroll-mt-6">
      <h2 id={id} className="mb-3 text-lg font-semibold capitalize tracking-tight">
        {title}
      </h2>
      <div className="grid gap-4">{children}</div>
    </section>
  );
}

function EndpointCard({ e, baseUrl }: { e: Endpoint; baseUrl: string }) {
  const params = (e.op.parameters ?? []).filter((p) => p.in === "path" || p.in === "query");
  const body = bodySchema(e.op);
  const fields = Object.entries(body?.properties ?? {});
  return (
    <Card className="overflow-hidden">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-border px-5 py-3">
        <Badge tone={methodTone[e.method] ?? "neutral"} className="w-16 justify-center font-mono">
          {e.method}
        </Badge>
        <h3 className="break-all font-mono text-sm font-medium">{e.path}</h3>
        <p className="w-full text-sm text-muted-foreground sm:ml-auto sm:w-auto">{e.op.summary}</p>
      </div>
      <div className="grid gap-3 px-5 py-4 text-sm">
        <p className="text-xs text-muted-foreground">
          {e.op.security?.length ? "Needs an API token (Bearer)." : "No authentication."}
          {params.length ? (
            <>
              {" "}
              Parameters:{" "}
              {params.map((p, i) => (
                <span key={p.name}>
                  {i ? ", " : ""}
                  <code className="font-mono text-foreground">{p.name}</code> ({p.in}
                  {p.required ? ", required" : ""})
                </span>
              ))}
              .
            </>
          ) : null}
        </p>
        {fields.length ? (
          <dl className="grid gap-x-4 gap-y-1 text-xs sm:grid-cols-[minmax(8rem,auto)_1fr]">
            {fields.map(([name, s]) => (
              <div key={name} className="contents">
                <dt className="font-mono text-foreground">
                  {name}
                  {body?.required?.includes(name) ? (
                    <span className="text-muted-foreground"> (required)</span>
                  ) : null}
                </dt>
                <dd className="break-words text-muted-foreground">
                  <span className="font-mono">{typeOf(s)}</span>
                  {s.default !== undefined ? `, default ${JSON.stringify(s.default)}` : ""}
                  {s.description ? `: ${s.description}` : ""}
                </dd>
              </div>
            ))}
          </dl>
        ) : null}
        <pre className="overflow-x-auto rounded-md border border-border bg-muted px-4 py-3 font-mono text-xs leading-relaxed text-foreground">
          <code>{curlExample(baseUrl, e)}</code>
        </pre>
      </div>
    </Card>
  );
}

export function ApiDocs({ doc, tokensHref }: { doc: OpenApiDoc; tokensHref: string }) {
  const groups = groupByTag(doc);
  const baseUrl = doc.servers?.[0]?.url ?? "/api/v1";
  return (
    <div className="grid gap-10 lg:grid-cols-[12rem_1fr]">
      <nav aria-label="API sections" className="lg:sticky lg:top-6 lg:self-start">
        <p className="mb-2 text-xs font-medium uppercase tracking-wide text-muted-foreground">On this page</p>
        <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm lg:flex-col">
          <li>
            <a href="#authentication" className="text-muted-foreground hover:text-foreground">
              Authentication
            </a>
          </li>
          {[...groups.keys()].map((tag) => (
            <li key={tag}>
              <a href={`#${anchor(tag)}`} className="capitalize text-muted-foreground hover:text-foreground">
                {tag}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="grid min-w-0 gap-10">
        <Section id="authentication" title="Authentication">
          <Card className="grid gap-3 px-5 py-4 text-sm">
            {doc.info.description ? (
              <p>
                <Prose text={doc.info.description} />
              </p>
            ) : null}
            <p className="text-muted-foreground">
              Create a token on a tenant's{" "}
              <Link href={tokensHref} className="text-link underline underline-offset-4">
                Tokens page
              </Link>
              . A token acts in its own tenant with its creator's role; without the{" "}
              <code className="font-mono">write</code> scope it can only read. Errors come back as{" "}
              <code className="font-mono">{"{ code, message, issues? }"}</code>, and the message names the
              field at fault.
            </p>
            <p className="text-muted-foreground">
              Base URL <code className="font-mono text-foreground">{baseUrl}</code>. The examples expect{" "}
              <code className="font-mono">BERTH_TOKEN</code> and the ids they use (such as{" "}
              <code className="font-mono">TENANT_ID</code>) in your shell.
            </p>
          </Card>
        </Section>
        {[...groups].map(([tag, endpoints]) => (
          <Section key={tag} id={anchor(tag)} title={tag}>
            {endpoints.map((e) => (
              <EndpointCard key={`${e.method} ${e.path}`} e={e} baseUrl={baseUrl} />
            ))}
          </Section>
        ))}
      </div>
    </div>
  );
}
