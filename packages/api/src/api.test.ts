import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
} from "./testing";

let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness();
  alice = await signUp(h, "Alice");
  bob = await signUp(h, "Bob");
});
afterAll(() => h?.close());

describe("tenancy through tRPC and REST", () => {
  it("creates a tenant, invites a member who accepts, and lists both", async () => {
    const t = await makeTenant(h, alice, "acme");
    const inv = await callerFor(h, alice.actor).members.invite({
      tenantId: t.id,
      email: bob.email,
      role: "member",
    });
    expect(inv.token.length).toBeGreaterThan(20);
    await callerFor(h, bob.actor).members.accept({ token: inv.token });
    const members = await callerFor(h, bob.actor).members.list({ tenantId: t.id });
    expect(members.map((m) => [m.email, m.role]).sort()).toEqual(
      [
        [alice.email, "owner"],
        [bob.email, "member"],
      ].sort(),
    );
    await expect(callerFor(h, bob.actor).members.accept({ token: inv.token })).rejects.toThrow(
      /used|unknown/,
    );
  });

  it("issues a token shown once and stored hashed, usable over REST, then revoked", async () => {
    const t = await makeTenant(h, alice, "tok");
    const created = await callerFor(h, alice.actor).tokens.create({
      tenantId: t.id,
      name: "ci",
      scopes: ["read", "write"],
      expiresInDays: 30,
    });
    const row = await h.deps.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).not.toContain(created.token);
    expect(JSON.stringify(row)).not.toContain(created.token);

    const me = await handleRest(h.deps, restRequest("/me", { token: created.token }));
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: "token", tenantId: t.id, role: "owner" });

    const dep = await handleRest(
      h.deps,
      restRequest(`/tenants/${t.id}/deployments`, {
        method: "POST",
        token: created.token,
        body: { name: "web", image: "127.0.0.1:5000/examples/hello:latest", ports: [{ port: 8080 }] },
      }),
    );
    expect(dep.status).toBe(200);
    const body = (await dep.json()) as { instances: { state: string }[]; isolation: string };
    expect(body.isolation).toBe("container");
    expect(body.instances.map((i) => i.state)).toEqual(["pending"]);
    expect(await h.deps.placementQueue.getJobCounts("waiting")).toMatchObject({ waiting: 1 });

    await callerFor(h, alice.actor).tokens.revoke({ tenantId: t.id, tokenId: created.id });
    const after = await handleRest(h.deps, restRequest("/me", { token: created.token }));
    expect(after.status).toBe(401);
    expect(((await after.json()) as { message: string }).message).toMatch(/revoked/);
  });

  it("refuses a deployment over quota or at a level the policy forbids, naming the field", async () => {
    const t = await makeTenant(h, alice, "quota");
    await h.deps.db.tenant.update({
      where: { id: t.id },
      data: { quotaInstances: 2, allowedIsolation: ["container"] },
    });
    const c = callerFor(h, alice.actor);
    await expect(
      c.deployments.create({ tenantId: t.id, name: "big", image: "busybox", replicas: 3 }),
    ).rejects.toThrow(/^instances:/);
    await expect(
      c.deployments.create({ tenantId: t.id, name: "vm", image: "busybox", isolation: "microvm" }),
    ).rejects.toThrow(/^isolation:/);
    await c.deployments.create({ tenantId: t.id, name: "ok", image: "busybox", replicas: 2 });
    await expect(
      c.deployments.create({ tenantId: t.id, name: "ok", image: "busybox", replicas: 0 }),
    ).rejects.toThrow(/^name:/);
    expect(await h.deps.db.deployment.count({ where: { tenantId: t.id } })).toBe(1);
  });

  it("keeps the last owner from leaving", async () => {
    const t = await makeTenant(h, alice, "leave", [[bob, "viewer"]]);
    await expect(callerFor(h, alice.actor).tenants.leave({ tenantId: t.id })).rejects.toThrow(
      /at least one owner/,
    );
    const left = await handleRest(
      h.deps,
      restRequest(`/tenants/${t.id}/leave`, { method: "POST", cookie: bob.cookie }),
    );
    expect(left.status).toBe(200);
    await expect(callerFor(h, bob.actor).tenants.get({ tenantId: t.id })).rejects.toThrow(/not found/);
  });

  it("serves the OpenAPI document at /api/v1/openapi.json without credentials", async () => {
    const res = await handleRest(h.deps, restRequest("/openapi.json"));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain("/tenants/{tenantId}/deployments");
  });
});

describe("text Postgres cannot store", () => {
  it("refuses a NUL character with a 400 naming the field, and stores nothing", async () => {
    const t = await makeTenant(h, alice, "nul");
    const c = callerFor(h, alice.actor);
    await expect(c.tenants.update({ tenantId: t.id, name: "a\u0000b" })).rejects.toThrow(
      /^name: must not contain NUL/,
    );
    const res = await handleRest(
      h.deps,
      restRequest(`/tenants/${t.id}/deployments`, {
        method: "POST",
        cookie: alice.cookie,
        body: { name: "x", image: "busybox", env: { A: "1\u00002" } },
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^env\.A: must not contain NUL/);
    expect(await h.deps.db.deployment.count({ where: { tenantId: t.id } })).toBe(0);
  });
});
