/** The parts of an OpenAPI 3 document the docs page reads; the rest is ignored. */
export type Schema = {
  type?: string | string[];
  enum?: unknown[];
  items?: Schema;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
};
export type Param = { in: string; name: string; required?: boolean; description?: string; schema?: Schema };
export type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: Param[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
export type OpenApiDoc = {
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
};

export type Endpoint = { method: string; path: string; op: Operation };

const methods = ["get", "post", "put", "patch", "delete"];

/** Endpoints grouped by their first tag, in the order the document lists them. */
export function groupByTag(doc: OpenApiDoc): Map<string, Endpoint[]> {
  const groups = new Map<string, Endpoint[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of methods) {
      const op = ops[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "other";
      groups.set(tag, [...(groups.get(tag) ?? []), { method: method.toUpperCase(), path, op }]);
    }
  }
  return groups;
}

export function typeOf(s: Schema | undefined): string {
  if (!s) return "any";
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  const t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type ?? "object");
  if (t === "array") return `${typeOf(s.items)}[]`;
  return s.format ? `${t} (${s.format})` : t;
}

export function bodySchema(op: Operation): Schema | undefined {
  return op.requestBody?.content?.["application/json"]?.schema;
}

const samples: Record<string, unknown> = {
  name: "web",
  image: "127.0.0.1:5000/examples/hello",
  email: "someone@example.com",
  slug: "acme",
  token: "<invitation token>",
  role: "member",
};

function sample(name: string, s: Schema): unknown {
  if (name in samples) return samples[name];
  if (s.default !== undefined) return s.default;
  if (s.enum?.length) return s.enum[0];
  if (s.anyOf?.[0]) return sample(name, s.anyOf[0]);
  if (s.type === "integer" || s.type === "number") return s.minimum ?? 1;
  if (s.type === "boolean") return false;
  if (s.type === "array") return [];
  if (s.type === "object") return {};
  return "…";
}

const envName = (param: string) => `$${param.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()}`;

/** A runnable curl line: path parameters become shell variables; bodies carry the required fields. */
export function curlExample(baseUrl: string, e: Endpoint): string {
  const url = baseUrl + e.path.replace(/\{(\w+)\}/g, (_, p: string) => envName(p));
  const lines = [`curl${e.method === "GET" ? "" : ` -X ${e.method}`} "${url}"`];
  if (e.op.security?.length) lines.push(`-H "Authorization: Bearer $BERTH_TOKEN"`);
  const body = bodySchema(e.op);
  if (body?.properties) {
    const example = Object.fromEntries(
      (body.required ?? []).map((k) => [k, sample(k, body.properties?.[k] ?? {})]),
    );
    lines.push(`-H "Content-Type: application/json"`, `-d '${JSON.stringify(example)}'`);
  }
  return lines.join(" \\\n  ");
}
