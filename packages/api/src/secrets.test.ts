// Deployment secrets: write-only (names in every answer, values nowhere but the agent's view of an
// instance on its own host), sealed at rest and in the revision history, changed by name.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
import { reserve } from "./services/capacity";
import {
  callerFor,
  createHarness,
  fingerprint,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
} from "./testing";

let h: Harness;
let owner: TestUser;
let tenantId: string;
let hostA: { id: string; token: string };
let hostB: { id: string; token: string };

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`S${i}`, `v${i}`]));

// Values that cannot turn up by accident anywhere else.
const value = (tag: string) => `sv-${tag}-${randomBytes(6).toString("hex")}`;

/** A ready host whose token is known, without an agent (no Redis user to clean up). */
async function makeHost(name: string) {
  const token = `bhost_${randomBytes(24).toString("base64url")}`;
  const row = await h.deps.db.host.create({
    data: {
      name,
      address: "127.0.0.1",
      isolationLevels: ["container", "microvm", "unikernel"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 20,
      tokenHash: createHash("sha256").update(token).digest("hex"),
    },
  });
  return { id: row.id, token };
}

const rest = (path: string, init: Parameters<typeof restRequest>[1] = {}) =>
  handleRest(h.deps, restRequest(path, { cookie: owner.cookie, ...init }));

/** What the agent of `host` is told to run for the instance. */
async function agentView(host: { token: string }, instanceId: string) {
  const res = await handleRest(h.deps, restRequest(`/agent/instances/${instanceId}`, { token: host.token }));
  return { status: res.status, body: (await res.json()) as { env: Record<string, string> } };
}

/** Everything the API, the audit log and the database's clear columns hold about the tenant. */
async function everythingShown(deploymentId: string) {
  const c = callerFor(h, owner.actor);
  const parts = await Promise.all([
    c.deployments.get({ tenantId, deploymentId }),
    c.deployments.list({ tenantId }),
    c.deployments.revisions({ tenantId, deploymentId }),
    c.deployments.events({ tenantId, deploymentId, limit: 100 }),
    rest(`/tenants/${tenantId}/deployments/${deploymentId}`).then((r) => r.text()),
    rest(`/tenants/${tenantId}/deployments`).then((r) => r.text()),
    rest(`/tenants/${tenantId}/deployments/${deploymentId}/revisions`).then((r) => r.text()),
    h.deps.db.auditLog.findMany({ where: { tenantId } }),
    h.deps.db.$queryRawUnsafe<unknown[]>(`SELECT * FROM deployment`),
    h.deps.db.$queryRawUnsafe<unknown[]>(`SELECT * FROM deployment_revision`),
  ]);
  return JSON.stringify(parts, (_, v) => (typeof v === "bigint" ? String(v) : v));
}

async function placeOn(host: { id: string }, instanceId: string) {
  expect(await reserve(h.deps.db, host.id, instanceId, 500, 256)).toBe(true);
}

beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "SecretOwner");
  tenantId = (await makeTenant(h, owner, "secrets")).id;
  hostA = await makeHost("secrets-a");
  hostB = await makeHost("secrets-b");
});
afterAll(() => h?.close());

describe("deployment secrets", () => {
  it("are shown by name only, and handed in env to the agent of the instance's host alone", async () => {
    const token = value("token");
    const dsn = value("dsn");
    const res = await rest(`/tenants/${tenantId}/deployments`, {
      method: "POST",
      body: {
        name: "api",
        image: "busybox",
        env: { GREETING: "hi" },
        secrets: { API_TOKEN: token, DATABASE_URL: dsn },
      },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const d = JSON.parse(text) as { id: string; secrets: { name: string }[]; instances: { id: string }[] };
    expect(d.secrets.map((s) => s.name)).toEqual(["API_TOKEN", "DATABASE_URL"]);
    expect(text).not.toContain(token);

    const shown = await everythingShown(d.id);
    expect(shown).toContain("API_TOKEN");
    expect(shown).not.toContain(token);
    expect(shown).not.toContain(dsn);
    const created = await h.deps.db.auditLog.findFirstOrThrow({
      where: { target: d.id, action: "deployment.create" },
    });
    expect(created.data).toMatchObject({ secrets: ["API_TOKEN", "DATABASE_URL"] });

    const instanceId = d.instances[0]?.id ?? "";
    await placeOn(hostA, instanceId);
    const own = await agentView(hostA, instanceId);
    expect(own.status).toBe(200);
    expect(own.body.env).toEqual({ GREETING: "hi", API_TOKEN: token, DATABASE_URL: dsn });
    const other = await agentView(hostB, instanceId);
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain(token);
  });

  it("refuses bad names, empty values, env clashes and the unikernel level with a 400 naming the field, storing nothing", async () => {
    const before = await fingerprint(h.deps.db);
    const base = { name: "bad", image: "busybox" };
    for (const [body, field] of [
      [{ ...base, secrets: { "1BAD": "x" } }, "secrets.1BAD"],
      [{ ...base, secrets: { "WITH-DASH": "x" } }, "secrets.WITH-DASH"],
      [{ ...base, secrets: { EMPTY: "" } }, "secrets.EMPTY"],
      [{ ...base, secrets: { N: 5 } }, "secrets.N"],
      [{ ...base, secrets: ["A=b"] }, "secrets"],
      [{ ...base, secrets: many(129) }, "secrets"],
      [{ ...base, env: { SHARED: "a" }, secrets: { SHARED: "b" } }, "secrets.SHARED"],
      [{ ...base, secrets: { TOKEN: "x" }, isolation: "unikernel" }, "secrets.TOKEN"],
    ] as const) {
      const res = await rest(`/tenants/${tenantId}/deployments`, { method: "POST", body });
      const msg = ((await res.json()) as { message: string }).message;
      expect([res.status, msg], JSON.stringify(body)).toEqual([400, expect.stringContaining(`${field}:`)]);
    }
    expect(await fingerprint(h.deps.db)).toBe(before);
  });

  it("change by name: set, keep, remove; each change a new generation whose history holds no value", async () => {
    const c = callerFor(h, owner.actor);
    const [one, two, three] = [value("one"), value("two"), value("three")];
    const d = await c.deployments.create({
      tenantId,
      name: "worker",
      image: "busybox",
      secrets: { KEEP: one, ROTATE: two, DROP: three },
    });
    const ref = { tenantId, deploymentId: d.id };
    const rotated = value("rotated");
    const added = value("added");
    const u = await c.deployments.update({ ...ref, secrets: { ROTATE: rotated, ADDED: added, DROP: null } });
    expect(u.generation).toBe(2);
    expect(u.secrets.map((s) => s.name)).toEqual(["ADDED", "KEEP", "ROTATE"]);
    const keep = (x: typeof u) => x.secrets.find((s) => s.name === "KEEP")?.updatedAt;
    expect(keep(u)).toBe(keep(d));

    const instanceId = u.instances[0]?.id ?? "";
    await placeOn(hostA, instanceId);
    expect((await agentView(hostA, instanceId)).body.env).toEqual({
      KEEP: one,
      ROTATE: rotated,
      ADDED: added,
    });

    // an env change alone keeps every secret
    const e = await c.deployments.update({ ...ref, env: { LOG: "debug" } });
    expect([e.generation, e.secrets.length]).toEqual([3, 3]);
    expect((await agentView(hostA, instanceId)).body.env).toMatchObject({ LOG: "debug", KEEP: one });

    const revisions = await c.deployments.revisions(ref);
    expect(revisions.map((r) => [r.generation, r.spec.secrets])).toEqual([
      [3, ["ADDED", "KEEP", "ROTATE"]],
      [2, ["ADDED", "KEEP", "ROTATE"]],
      [1, ["DROP", "KEEP", "ROTATE"]],
    ]);
    const update = await h.deps.db.auditLog.findFirstOrThrow({
      where: { target: d.id, action: "deployment.update" },
      orderBy: { id: "asc" },
    });
    expect(update.data).toEqual({
      generation: 2,
      change: { secrets: { ROTATE: "set", ADDED: "set", DROP: "removed" } },
    });
    const shown = await everythingShown(d.id);
    for (const v of [one, two, three, rotated, added]) expect(shown).not.toContain(v);

    // a rollback brings back the values its generation ran with, still sealed in the history
    const back = await c.deployments.rollback({ ...ref, toGeneration: 1 });
    expect(back.secrets.map((s) => s.name)).toEqual(["DROP", "KEEP", "ROTATE"]);
    expect((await agentView(hostA, instanceId)).body.env).toEqual({ KEEP: one, ROTATE: two, DROP: three });
  });

  it("refuses an update that clashes with env, removes an unknown name or sets none, changing nothing", async () => {
    const c = callerFor(h, owner.actor);
    const d = await c.deployments.create({
      tenantId,
      name: "clash",
      image: "busybox",
      env: { PLAIN: "p" },
      secrets: { HIDDEN: value("hidden") },
    });
    const full = await c.deployments.create({ tenantId, name: "full", image: "busybox", secrets: many(128) });
    const path = `/tenants/${tenantId}/deployments/${d.id}`;
    const before = await fingerprint(h.deps.db);
    const over = await rest(`/tenants/${tenantId}/deployments/${full.id}`, {
      method: "PATCH",
      body: { secrets: { ONE_MORE: "x" } },
    });
    expect([over.status, ((await over.json()) as { message: string }).message]).toEqual([
      400,
      "secrets: must have at most 128 secrets (129 with this change)",
    ]);
    for (const [body, field] of [
      [{ secrets: { PLAIN: "x" } }, "secrets.PLAIN"],
      [{ env: { HIDDEN: "x" } }, "env.HIDDEN"],
      [{ secrets: { MISSING: null } }, "secrets.MISSING"],
      [{ secrets: { BAD: "" } }, "secrets.BAD"],
      [{ secrets: { "9": "x" } }, "secrets.9"],
      [{ secrets: {} }, "body"],
    ] as const) {
      const res = await rest(path, { method: "PATCH", body });
      const msg = ((await res.json()) as { message: string }).message;
      expect([res.status, msg], JSON.stringify(body)).toEqual([400, expect.stringContaining(`${field}:`)]);
    }
    expect(await fingerprint(h.deps.db)).toBe(before);

    // moving a variable between env and secrets takes both in one update
    const moved = value("moved");
    const u = await c.deployments.update({
      tenantId,
      deploymentId: d.id,
      env: { HIDDEN: "now plain" },
      secrets: { HIDDEN: null, PLAIN: moved },
    });
    expect([u.env, u.secrets.map((s) => s.name)]).toEqual([{ HIDDEN: "now plain" }, ["PLAIN"]]);
  });

  it("refuses at the unikernel level on update too, and a value sealed for one deployment opens for no other", async () => {
    const c = callerFor(h, owner.actor);
    const uk = await c.deployments.create({
      tenantId,
      name: "uk",
      image: "127.0.0.1:5000/examples/hello-unikernel:latest",
      isolation: "unikernel",
      replicas: 0,
    });
    await expect(
      c.deployments.update({ tenantId, deploymentId: uk.id, secrets: { TOKEN: "x" } }),
    ).rejects.toThrow(/^secrets\.TOKEN: /);

    const a = await c.deployments.create({
      tenantId,
      name: "src",
      image: "busybox",
      secrets: { K: value("k") },
    });
    const b = await c.deployments.create({ tenantId, name: "dst", image: "busybox" });
    // copy the sealed column to another deployment: its additional data does not match
    await h.deps.db
      .$executeRaw`UPDATE deployment SET secrets = (SELECT secrets FROM deployment WHERE id = ${a.id}::uuid) WHERE id = ${b.id}::uuid`;
    const instanceId = b.instances[0]?.id ?? "";
    await placeOn(hostA, instanceId);
    const res = await handleRest(
      h.deps,
      restRequest(`/agent/instances/${instanceId}`, { token: hostA.token }),
    );
    expect(res.status).toBe(500);
    expect(await res.text()).not.toMatch(/sv-k-/);
  });
});
