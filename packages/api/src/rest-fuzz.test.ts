import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { z } from "zod";
import { handleRest, openApiDocument, REST_PREFIX } from "./rest";
import { appRouter } from "./router";
import {
  callerFor,
  createHarness,
  fingerprint,
  type Harness,
  makeTenant,
  signUp,
  type TestUser,
} from "./testing";

// 1,000 is the bar; a quick local pass may ask for fewer (BERTH_FUZZ_RUNS=100), never CI.
const RUNS_PER_ROUTE = Number(process.env.BERTH_FUZZ_RUNS ?? 1000);
// Spot checks inside a run narrow a database change down to a few hundred requests.
const SPOT_CHECK_EVERY = 250;
const REFUSAL_STATUSES = [400, 404, 409, 415, 422];

type Route = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  procedure: string;
  schema: z.ZodType;
  pathParams: string[];
  queryKeys: string[];
  bodyKeys: string[];
  hasBody: boolean;
};

type Procedure = { _def: { meta?: { openapi?: { method: string; path: string } }; inputs: unknown[] } };
const procedures = appRouter._def.procedures as unknown as Record<string, Procedure>;

function shapeKeys(schema: z.ZodType): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

// Enumerated from the published document, so a new route is fuzzed without touching this file.
const routes: Route[] = Object.entries(openApiDocument("http://x").paths ?? {}).flatMap(([path, item]) =>
  (["get", "post", "put", "patch", "delete"] as const).flatMap((m) => {
    if (!item?.[m]) return [];
    const method = m.toUpperCase() as Route["method"];
    const found = Object.entries(procedures).find(
      ([, p]) => p._def.meta?.openapi?.method === method && p._def.meta.openapi.path === path,
    );
    if (!found) throw new Error(`no procedure serves ${method} ${path}`);
    const [procedure, p] = found;
    const schema = p._def.inputs[0] as z.ZodType;
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1] as string);
    const keys = shapeKeys(schema).filter((k) => !pathParams.includes(k));
    const hasBody = method !== "GET" && method !== "DELETE";
    return [
      {
        method,
        path,
        procedure,
        schema,
        pathParams,
        queryKeys: hasBody ? [] : keys,
        bodyKeys: hasBody ? keys : [],
        hasBody,
      },
    ];
  }),
);

const capacity = { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 };
const capabilities = {
  isolationLevels: ["container"],
  accelerator: null,
  guestKernel: null,
  ociRuntime: "runc",
  cgroup: "v2",
};
const report = {
  instanceId: "6f1c2a8e-3b1d-4c5e-9f00-123456789abc",
  generation: 1,
  state: "running",
  reason: "started",
  exitCode: 0,
  endpoints: ["10.0.0.2:8080"],
};

/** A valid body per body-carrying route: the fuzzer breaks it one piece at a time to get deep. */
const validBodies: Record<string, unknown> = {
  "POST /tenants/{tenantId}/deployments/{deploymentId}/scale": { replicas: 3 },
  "POST /tenants/{tenantId}/deployments/{deploymentId}/stop": {},
  "POST /tenants/{tenantId}/deployments/{deploymentId}/start": {},
  "PATCH /tenants/{tenantId}/deployments/{deploymentId}": {
    image: "busybox:2",
    cpuMillis: 100,
    secrets: { API_TOKEN: "rotated", OLD_TOKEN: null },
  },
  "POST /tenants/{tenantId}/deployments/{deploymentId}/rollback": { toGeneration: 1 },
  "POST /tenants/{tenantId}/deployments/{deploymentId}/restart": {},
  "POST /tenants/{tenantId}/registries": { registry: "ghcr.io", username: "ci", password: "token" },
  "POST /hosts/join-tokens": {},
  "POST /hosts/{hostId}/cordon": { cordoned: true },
  "POST /hosts/{hostId}/drain": {},
  "POST /operator/queues/{queue}/jobs/{jobId}/retry": {},
  "PATCH /operator/tenants/{tenantId}": { quota: { instances: 40 }, isolation: { dedicatedHosts: false } },
  "POST /agent/join": {
    joinToken: `bjoin_${"x".repeat(32)}`,
    name: "node-b",
    address: "10.0.0.2",
    labels: { zone: "a" },
    capacity,
    capabilities,
  },
  "POST /agent/heartbeat": {
    capacity,
    capabilities,
    instances: [report],
    volumes: ["0b6f4a52-7d1e-4c2b-8a33-5e9d0c1f2a47"],
  },
  "POST /agent/report": report,
  "POST /tenants": { name: "Fuzz Co", slug: "fuzz-co" },
  "PATCH /tenants/{tenantId}": { name: "Renamed" },
  "POST /tenants/{tenantId}/leave": {},
  "POST /tenants/{tenantId}/invitations": { email: "new@example.test", role: "member" },
  "POST /invitations/accept": { token: "x".repeat(32) },
  "PATCH /tenants/{tenantId}/members/{userId}": { role: "member" },
  "POST /tenants/{tenantId}/tokens": { name: "ci", scopes: ["read"], expiresInDays: 30 },
  "POST /tenants/{tenantId}/deployments": {
    name: "web",
    image: "127.0.0.1:5000/examples/hello:latest",
    command: ["/bin/hello"],
    args: ["--port", "8080"],
    env: { GREETING: "hi" },
    secrets: { API_TOKEN: "s3cret" },
    ports: [{ port: 8080, protocol: "tcp" }],
    cpuMillis: 100,
    memoryMiB: 64,
    replicas: 1,
    isolation: "container",
  },
};

// ---- what the server does with the request, mirrored so the route's own schema can judge it

type Issue = { path: PropertyKey[]; code: string; keys?: string[] };
type Verdict = { valid: boolean; issues: Issue[] };

function judge(route: Route, input: unknown): Verdict {
  const r = route.schema.safeParse(input);
  return { valid: r.success, issues: r.success ? [] : (r.error.issues as Issue[]) };
}

/** trpc-to-openapi spreads the parsed body and lays the path parameters over it. */
function bodyInput(parsed: unknown, pathValues: Record<string, string>): unknown {
  return { ...(parsed as object), ...pathValues };
}

/** Repeated query keys become arrays; own properties throughout, so `constructor` is just a key. */
function queryInput(pairs: [string, string][], pathValues: Record<string, string>): unknown {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of pairs) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const input: Record<string, unknown> = {};
  const put = (k: string, v: unknown) =>
    Object.defineProperty(input, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const [k, vs] of grouped) put(k, vs.length === 1 ? vs[0] : vs);
  for (const [k, v] of Object.entries(pathValues)) put(k, v);
  return input;
}

/** The names a good error message may use: issue paths, `body` for the whole input, unknown keys. */
function fieldNames(issues: Issue[]): string[] {
  return issues.flatMap((i) => [i.path.length ? i.path.map(String).join(".") : "body", ...(i.keys ?? [])]);
}

// ---- generators

const overlong = fc.string({ minLength: 101, maxLength: 3000 });
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  overlong,
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "0",
    "-1",
    "1e3",
    "true",
    "null",
    "[]",
    "{}",
    "../../etc/passwd",
    "' OR 1=1 --",
    "🚀".repeat(70),
  ),
  // numeric strings, null, booleans and one-element arrays are what lenient coercion would accept
  fc.stringMatching(/^-?\d{1,25}$/),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, 1e308, 65_536, -0),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: 1, max: 100 }).map((n) => [n]),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 300 }),
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 5 }),
);

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (value && typeof value === "object")
    return [at, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  return [at];
}

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, seg) => (node as Record<string | number, unknown>)[seg], value);
}

function setAt(value: unknown, path: Path, to: unknown): unknown {
  if (path.length === 0) return to;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const key = path[path.length - 1] as string | number;
  // an array's `length` takes only valid lengths: replace the array instead of resizing it
  if (Array.isArray(node) && key === "length") return setAt(value, path.slice(0, -1), to);
  node[key] = to;
  return copy;
}

type BodyCase = { text: string | undefined; contentType: string | undefined };
const json = (v: unknown): BodyCase => ({ text: JSON.stringify(v), contentType: "application/json" });

function bodyArbitrary(route: Route, base: Record<string, unknown>): fc.Arbitrary<BodyCase> {
  const keys = [...new Set([...route.bodyKeys, ...route.pathParams, ...Object.keys(base)])];
  const someKey = keys.length ? fc.constantFrom(...keys) : fc.string();
  const deepPaths = pathsOf(base).filter((p) => p.length > 0);
  const containers = pathsOf(base).filter((p) => {
    const v = getAt(base, p);
    return v !== null && typeof v === "object";
  });
  return fc.oneof(
    { weight: 2, arbitrary: fc.jsonValue().map(json) },
    { weight: 4, arbitrary: fc.tuple(someKey, junk).map(([k, v]) => json({ ...base, [k]: v })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...(deepPaths.length ? deepPaths : [["x"]])), junk)
        .map(([p, v]) => json(setAt(base, p, v))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...containers),
          fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom("1bad", "__proto__", "constructor", "9")),
          junk,
        )
        .map(([p, k, v]) => json(setAt(base, [...p, k], v))),
    },
    ...(Object.keys(base).length
      ? [
          {
            weight: 1,
            arbitrary: fc
              .subarray(Object.keys(base), { minLength: 1 })
              .map((drop) =>
                json(Object.fromEntries(Object.entries(base).filter(([k]) => !drop.includes(k)))),
              ),
          },
        ]
      : []),
    {
      weight: 2,
      arbitrary: fc
        .dictionary(fc.string({ minLength: 1 }), junk, { minKeys: 1, maxKeys: 4 })
        .map((extra) => json({ ...extra, ...base, ...extra })),
    },
    {
      weight: 2,
      arbitrary: fc.record(Object.fromEntries(keys.map((k) => [k, junk])), { requiredKeys: [] }).map(json),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            "",
            " ",
            "{",
            '{"name":',
            "[1,2",
            "undefined",
            "NaN",
            "{'a':1}",
            '{"a":1}}',
            "\u0000",
            "tru",
            "nul",
          ),
          fc.string({ unit: "grapheme", maxLength: 200 }),
        )
        .map((text) => ({ text, contentType: "application/json" })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        text: fc.option(fc.constant(JSON.stringify(base)), { nil: undefined }),
        contentType: fc.constantFrom(
          undefined,
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data",
          "APPLICATION/JSON",
        ),
      }),
    },
  );
}

function queryArbitrary(route: Route): fc.Arbitrary<[string, string][]> {
  const own = route.queryKeys.length ? [{ weight: 4, arbitrary: fc.constantFrom(...route.queryKeys) }] : [];
  const key = fc.oneof(
    // the route's own parameters most often: their values are where handlers meet the input
    ...own,
    {
      weight: 2,
      arbitrary: fc.constantFrom(...route.pathParams, "limit", "cursor", "x"),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"),
    },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  );
  const value = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.stringMatching(/^-?\d{1,25}$/),
    // past the range of a 64-bit id or a double's exact integers
    fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
    fc.constantFrom(
      "",
      "0",
      "-1",
      "1",
      "500",
      "501",
      "1.5",
      "1e2",
      "NaN",
      "Infinity",
      "0x10",
      " 5 ",
      "true",
      "null",
      "[]",
    ),
    fc.string({ minLength: 200, maxLength: 2000 }),
  );
  return fc.array(fc.tuple(key, value), { maxLength: 6 });
}

// ---- harness, fixtures and the database fingerprint

let h: Harness;
let owner: TestUser;
let ownerToken: string;
let hostId: string;
const pathValuesByName: Record<string, string> = {};
const credentialFor = new Map<string, Record<string, string>>();
let baseline: string;
const stats = { malformed: 0, validGets: 0, validSkipped: 0, started: 0 };

function urlOf(route: Route, query: [string, string][] = []): string {
  let path = route.path;
  for (const p of route.pathParams)
    path = path.replace(`{${p}}`, encodeURIComponent(pathValuesByName[p] ?? ""));
  const qs = new URLSearchParams(query).toString();
  return `http://127.0.0.1:3999${REST_PREFIX}${path}${qs ? `?${qs}` : ""}`;
}

async function send(
  route: Route,
  opts: { query?: [string, string][]; body?: BodyCase; auth?: Record<string, string> },
) {
  const headers = new Headers(opts.auth ?? credentialFor.get(`${route.method} ${route.path}`));
  if (opts.body?.contentType) headers.set("content-type", opts.body.contentType);
  const res = await handleRest(
    h.deps,
    new Request(urlOf(route, opts.query), { method: route.method, headers, body: opts.body?.text }),
  );
  const text = await res.text();
  let payload: { code?: string; message?: string; issues?: Issue[] } = {};
  try {
    payload = JSON.parse(text);
  } catch {
    // a non-JSON error body fails the assertions below with the text in view
  }
  return { status: res.status, payload, text };
}

// Typed read-only by the web app's declarations; it is an ordinary variable at run time.
const env = process.env as Record<string, string | undefined>;
const restoreNodeEnv = env.NODE_ENV;

beforeAll(async () => {
  // Outside production trpc-to-openapi regenerates the whole OpenAPI document on every request
  // to validate the router: 14 ms, more than the request itself, times 25,000 requests. REST is
  // served in production mode anyway, and afterAll puts the variable back.
  env.NODE_ENV = "production";
  h = await createHarness();
  // An operator too, so that the operator-only routes get as far as input validation.
  owner = await signUp(h, "FuzzOwner", { operator: true });
  const viewer = await signUp(h, "FuzzViewer");
  const tenant = await makeTenant(h, owner, "fuzz", [[viewer, "viewer"]]);
  const c = callerFor(h, owner.actor);
  const deployment = await c.deployments.create({ tenantId: tenant.id, name: "fixture", image: "busybox" });
  const token = await c.tokens.create({ tenantId: tenant.id, name: "fixture", scopes: ["read"] });
  ownerToken = (await c.tokens.create({ tenantId: tenant.id, name: "fuzzer", scopes: ["read", "write"] }))
    .token;
  await c.registries.set({
    tenantId: tenant.id,
    registry: "registry.fuzz.example",
    username: "f",
    password: "p",
  });
  const invitation = await c.members.invite({
    tenantId: tenant.id,
    email: "invitee@example.test",
    role: "member",
  });
  // Enrolled the way an agent enrols, so that its host token reaches the agent routes.
  const { token: joinToken } = await c.hosts.createJoinToken();
  const joined = await handleRest(
    h.deps,
    new Request(`http://127.0.0.1:3999${REST_PREFIX}/agent/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ joinToken, name: "fuzz-host", address: "10.0.0.1", capacity, capabilities }),
    }),
  );
  if (joined.status !== 200) throw new Error(`join: ${joined.status} ${await joined.text()}`);
  const host = (await joined.json()) as { hostId: string; hostToken: string };
  hostId = host.hostId;
  const [instance] = deployment.instances;
  if (!instance) throw new Error("the fixture deployment has no instance");
  await h.deps.db.instance.update({ where: { id: instance.id }, data: { hostId } });
  Object.assign(pathValuesByName, {
    tenantId: tenant.id,
    deploymentId: deployment.id,
    tokenId: token.id,
    invitationId: invitation.id,
    userId: viewer.id,
    hostId,
    instanceId: instance.id,
    registry: "registry.fuzz.example",
    // the operator's queue routes: a job id no queue holds (404 once the input is valid)
    queue: "placement",
    jobId: "fuzz-job",
    // DELETE /tenants/{tenantId}/volumes/{name}
    name: "data",
  });

  // The first credential whose probe comes back as a validation error: the owner's API token
  // (cheaper to check than a session), else the session (routes for signed-in users refuse
  // tokens), else the host token (agent routes). That answer proves the fuzzed requests get past
  // authentication and role checks; the probe also has trpc-to-openapi apply its query-string
  // coercion before the schemas judge anything.
  const credentials: Record<string, string>[] = [
    { authorization: `Bearer ${ownerToken}` },
    { cookie: owner.cookie },
    { authorization: `Bearer ${host.hostToken}` },
  ];
  for (const route of routes) {
    // the fixture test names what is missing
    if (route.pathParams.some((p) => !(p in pathValuesByName))) continue;
    const probe = route.hasBody
      ? { body: json({ ...(validBodies[`${route.method} ${route.path}`] as object), fuzzProbe: 1 }) }
      : { query: [["fuzzProbe", "1"]] as [string, string][] };
    const answers: string[] = [];
    for (const auth of credentials) {
      const res = await send(route, { ...probe, auth });
      answers.push(`${res.status} ${res.text}`);
      if (res.status === 400) {
        credentialFor.set(`${route.method} ${route.path}`, auth);
        break;
      }
    }
    if (!credentialFor.has(`${route.method} ${route.path}`))
      throw new Error(
        `no credential gets ${route.method} ${route.path} to validation: ${answers.join(" | ")}`,
      );
  }
  baseline = await fingerprint(h.deps.db);
  stats.started = performance.now();
});

afterAll(async () => {
  const seconds = ((performance.now() - stats.started) / 1000).toFixed(1);
  console.info(
    `REST fuzz: ${routes.length} routes, ${stats.malformed} malformed requests refused, ${stats.validGets} valid GETs answered, ` +
      `${stats.validSkipped} valid bodies/deletes not sent, in ${seconds}s`,
  );
  env.NODE_ENV = restoreNodeEnv;
  // enrolment created a Redis ACL user, which outlives the harness's key prefix
  if (hostId) await h?.deps.redis.call("ACL", "DELUSER", `berth-host-${hostId}`).catch(() => {});
  await h?.close();
});

describe("REST routes under malformed input", () => {
  it("has a path-parameter fixture for every route, and a valid body for every body route", () => {
    const missing = routes.flatMap((r) => [
      ...r.pathParams.filter((p) => !(p in pathValuesByName)).map((p) => `${r.method} ${r.path}: {${p}}`),
      ...(r.hasBody && !(`${r.method} ${r.path}` in validBodies) ? [`${r.method} ${r.path}: body`] : []),
    ]);
    if (missing.length) throw new Error(`add fixtures to rest-fuzz.test.ts for: ${missing.join(", ")}`);
    for (const r of routes.filter((x) => x.hasBody)) {
      const v = judge(r, bodyInput(validBodies[`${r.method} ${r.path}`], pickPath(r)));
      if (!v.valid)
        throw new Error(`the valid body of ${r.method} ${r.path} no longer is: ${JSON.stringify(v.issues)}`);
    }
  });

  // The random bodies are judged by the routes' own schemas, so a schema made lenient would judge
  // leniently too; this pins down what JSON typing means. The probes in beforeAll have already
  // sent every route a request, which is when trpc-to-openapi would have switched coercion on.
  it("refuses numbers and booleans sent as strings, arrays or the other type, over REST and tRPC", async ({
    expect,
  }) => {
    let sent = 0;
    for (const route of routes.filter((r) => r.hasBody)) {
      const base = validBodies[`${route.method} ${route.path}`];
      for (const path of pathsOf(base)) {
        const v = getAt(base, path);
        // "false" would coerce to true: the worst of them
        const wrongs =
          typeof v === "number" ? [String(v), [v], true] : typeof v === "boolean" ? [String(!v), [v], 1] : [];
        for (const wrong of wrongs) {
          const res = await send(route, { body: json(setAt(base, path, wrong)) });
          const shown = `${route.method} ${route.path} ${path.join(".")}=${JSON.stringify(wrong)} -> ${res.status} ${res.text}`;
          expect(res.status, shown).toBe(400);
          expect(res.payload.message, shown).toContain(`${path.join(".")}:`);
          sent++;
        }
      }
    }
    expect(sent).toBeGreaterThan(10);
    const replicas = "1" as unknown as number;
    await expect(
      callerFor(h, owner.actor).deployments.create({
        tenantId: pathValuesByName.tenantId ?? "",
        name: "lenient",
        image: "busybox",
        replicas,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await fingerprint(h.deps.db)).toBe(baseline);
  });

  // Routes run a few at a time: overlapping their waits on Postgres about doubles the throughput.
  describe.concurrent.each(routes)("$method $path ($procedure)", (route) => {
    it(`refuses ${RUNS_PER_ROUTE} malformed requests with a 4xx naming the field, changing nothing`, {
      timeout: 180_000,
    }, async ({ expect }) => {
      const key = `${route.method} ${route.path}`;
      const pathValues = pickPath(route);
      expect(route.pathParams.filter((p) => !(p in pathValuesByName))).toEqual([]);
      let runs = 0;

      const check = async (
        request: { query?: [string, string][]; body?: BodyCase },
        verdict: Verdict | "not-json" | "not-json-content",
      ) => {
        const res = await send(route, request);
        const shown = `${key} ${JSON.stringify(request).slice(0, 400)} -> ${res.status} ${res.text.slice(0, 400)}`;
        if (verdict !== "not-json" && verdict !== "not-json-content" && verdict.valid) {
          expect(res.status, shown).toBeLessThan(300);
          stats.validGets++;
          return;
        }
        expect(REFUSAL_STATUSES, shown).toContain(res.status);
        expect(typeof res.payload.code, shown).toBe("string");
        const names = typeof verdict === "string" ? ["body"] : fieldNames(verdict.issues);
        expect(
          names.some((n) => res.payload.message?.includes(`${n}:`)),
          `${shown}\nexpected the message to name one of ${JSON.stringify(names.slice(0, 8))}`,
        ).toBe(true);
        if (typeof verdict !== "string" && res.payload.issues) {
          expect(
            res.payload.issues.map((i) => i.path),
            shown,
          ).toEqual(verdict.issues.map((i) => i.path));
        }
        stats.malformed++;
        if (++runs % SPOT_CHECK_EVERY === 0)
          expect(await fingerprint(h.deps.db), `after ${runs} requests`).toBe(baseline);
      };

      const params = { numRuns: RUNS_PER_ROUTE, maxSkipsPerRun: 1000 };
      if (route.hasBody) {
        const arbitrary = bodyArbitrary(route, validBodies[key] as Record<string, unknown>);
        const property = fc.asyncProperty(arbitrary, async (body) => {
          // no body and no content-type is an action without input (POST …/leave): judged as {}
          const bodyless = body.text === undefined && body.contentType === undefined;
          if (!bodyless && body.contentType !== "application/json")
            return check({ body }, "not-json-content");
          let parsed: unknown;
          try {
            parsed = bodyless ? {} : JSON.parse(body.text ?? "");
          } catch {
            return check({ body }, "not-json");
          }
          const verdict = judge(route, bodyInput(parsed, pathValues));
          if (verdict.valid) {
            // A valid body would write; fast-check draws another so 1,000 malformed ones go out.
            stats.validSkipped++;
            fc.pre(false);
          }
          return check({ body }, verdict);
        });
        await fc.assert(property, params);
      } else {
        const property = fc.asyncProperty(queryArbitrary(route), async (query) => {
          const verdict = judge(route, queryInput(query, pathValues));
          if (verdict.valid) {
            // Reads are harmless, so valid ones are sent too and must succeed; deletes would delete.
            if (route.method === "GET") await check({ query }, verdict);
            else stats.validSkipped++;
            fc.pre(false);
          }
          return check({ query }, verdict);
        });
        await fc.assert(property, params);
      }
      expect(runs).toBeGreaterThanOrEqual(RUNS_PER_ROUTE);
      expect(await fingerprint(h.deps.db), `${key} changed the database`).toBe(baseline);
    });
  });
});

function pickPath(route: Route): Record<string, string> {
  return Object.fromEntries(route.pathParams.map((p) => [p, pathValuesByName[p] ?? ""]));
}
