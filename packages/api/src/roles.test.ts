// Role enforcement through the real router: what each role and each kind of credential may do in
// a tenant. The rules are keyed by procedure path and checked against the router itself, so a new
// procedure fails this file until someone decides who may call it.
import type { Role } from "@berth/contracts";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Actor } from "./context";
import { handleRest } from "./rest";
import { appRouter } from "./router";
import { authenticateToken } from "./services/tokens";
import {
  callerFor,
  createHarness,
  enrollHost,
  fingerprint,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
} from "./testing";

type Ids = {
  tenantId: string;
  deploymentId: string;
  instanceId: string;
  tokenId: string;
  invitationId: string;
  invitationToken: string;
  memberId: string;
  hostId: string;
};

/**
 * `authed`: any person or API token; `user`: a signed-in person, not a token; `host`: a node
 * agent's host token; `join-token`: no caller credential, the input carries a one-time token;
 * a role: at least that role in the tenant named by the input.
 */
type Access = "authed" | "user" | "operator" | "host" | "join-token" | Role;
type Rule = { access: Access; input: (ids: Ids) => unknown };

const capacity = { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 };
const capabilities = {
  isolationLevels: ["container"],
  accelerator: null,
  guestKernel: null,
  ociRuntime: null,
  cgroup: "v2",
};

const rules: Record<string, Rule> = {
  "me.get": { access: "authed", input: () => undefined },
  "tenants.list": { access: "authed", input: () => undefined },
  "tenants.create": { access: "user", input: () => ({ name: "Another", slug: "roles-another" }) },
  "tenants.get": { access: "viewer", input: (i) => ({ tenantId: i.tenantId }) },
  "tenants.update": { access: "admin", input: (i) => ({ tenantId: i.tenantId, name: "Renamed" }) },
  "tenants.leave": { access: "viewer", input: (i) => ({ tenantId: i.tenantId }) },
  "members.list": { access: "viewer", input: (i) => ({ tenantId: i.tenantId }) },
  "members.invite": {
    access: "admin",
    input: (i) => ({ tenantId: i.tenantId, email: "new@example.test", role: "member" }),
  },
  "members.invitations": { access: "admin", input: (i) => ({ tenantId: i.tenantId }) },
  "members.revokeInvitation": {
    access: "admin",
    input: (i) => ({ tenantId: i.tenantId, invitationId: i.invitationId }),
  },
  "members.accept": { access: "user", input: (i) => ({ token: i.invitationToken }) },
  "members.setRole": {
    access: "admin",
    input: (i) => ({ tenantId: i.tenantId, userId: i.memberId, role: "viewer" }),
  },
  "members.remove": { access: "admin", input: (i) => ({ tenantId: i.tenantId, userId: i.memberId }) },
  "tokens.list": { access: "admin", input: (i) => ({ tenantId: i.tenantId }) },
  "tokens.create": {
    access: "admin",
    input: (i) => ({ tenantId: i.tenantId, name: "ci", scopes: ["read"] }),
  },
  "tokens.revoke": { access: "admin", input: (i) => ({ tenantId: i.tenantId, tokenId: i.tokenId }) },
  "registries.list": { access: "member", input: (i) => ({ tenantId: i.tenantId }) },
  "registries.catalog": { access: "member", input: (i) => ({ tenantId: i.tenantId }) },
  "registries.set": {
    access: "admin",
    input: (i) => ({ tenantId: i.tenantId, registry: "ghcr.io", username: "ci", password: "token" }),
  },
  "registries.delete": { access: "admin", input: (i) => ({ tenantId: i.tenantId, registry: "ghcr.io" }) },
  "deployments.list": { access: "viewer", input: (i) => ({ tenantId: i.tenantId }) },
  "deployments.get": {
    access: "viewer",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.create": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, name: "by-role", image: "busybox" }),
  },
  "deployments.delete": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.scale": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId, replicas: 3 }),
  },
  "deployments.stop": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.start": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.update": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId, image: "busybox:2" }),
  },
  "deployments.rollback": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId, toGeneration: 1 }),
  },
  "deployments.revisions": {
    access: "viewer",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.restart": {
    access: "member",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.events": {
    access: "viewer",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "deployments.logs": {
    access: "viewer",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "instances.list": {
    access: "viewer",
    input: (i) => ({ tenantId: i.tenantId, deploymentId: i.deploymentId }),
  },
  "volumes.list": { access: "member", input: (i) => ({ tenantId: i.tenantId }) },
  "volumes.delete": { access: "admin", input: (i) => ({ tenantId: i.tenantId, name: "data" }) },
  "hosts.list": { access: "operator", input: () => undefined },
  "hosts.get": { access: "operator", input: (i) => ({ hostId: i.hostId }) },
  "hosts.createJoinToken": { access: "operator", input: () => undefined },
  "hosts.cordon": { access: "operator", input: (i) => ({ hostId: i.hostId, cordoned: true }) },
  "hosts.drain": { access: "operator", input: (i) => ({ hostId: i.hostId }) },
  "hosts.remove": { access: "operator", input: (i) => ({ hostId: i.hostId }) },
  "operator.tenants": { access: "operator", input: () => undefined },
  "operator.updateTenant": {
    access: "operator",
    input: (i) => ({ tenantId: i.tenantId, quota: { instances: 50 } }),
  },
  "operator.audit": { access: "operator", input: () => ({}) },
  "operator.queues": { access: "operator", input: () => undefined },
  "operator.queueJobs": { access: "operator", input: () => ({ queue: "placement" }) },
  "operator.retryJob": { access: "operator", input: () => ({ queue: "placement", jobId: "none" }) },
  "operator.removeJob": { access: "operator", input: () => ({ queue: "placement", jobId: "none" }) },
  "audit.list": { access: "admin", input: (i) => ({ tenantId: i.tenantId }) },
  "agent.join": {
    access: "join-token",
    // never issued: a caller without a real join token must be turned away whoever they are
    input: () => ({
      joinToken: `bjoin_${"x".repeat(32)}`,
      name: "intruder",
      address: "10.9.9.9",
      capacity,
      capabilities,
    }),
  },
  "agent.heartbeat": { access: "host", input: () => ({ capacity, capabilities, instances: [] }) },
  "agent.report": {
    access: "host",
    input: (i) => ({ instanceId: i.instanceId, generation: 1, state: "running" }),
  },
  "agent.instance": { access: "host", input: (i) => ({ instanceId: i.instanceId }) },
};

// The test's own ranking, not the one under test.
const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const isRole = (a: Access): a is Role => a in rank;

type Who =
  | { kind: "anonymous" }
  | { kind: "user"; role: Role | null; operator: boolean }
  | { kind: "token"; role: Role }
  | { kind: "host" };

/** What a caller should get from a procedure called with its fixture input. */
function expected(who: Who, path: string): string {
  const a = ruleOf(path).access;
  if (who.kind === "anonymous") return "UNAUTHORIZED";
  // the fixture's join token was never issued
  if (a === "join-token") return "UNAUTHORIZED";
  if (a === "host") return who.kind === "host" ? "OK" : "UNAUTHORIZED";
  if (who.kind === "host") return "FORBIDDEN";
  if (a === "authed") return "OK";
  if (a === "user") return who.kind === "user" ? "OK" : "FORBIDDEN";
  if (a === "operator") return who.kind === "user" && who.operator ? "OK" : "FORBIDDEN";
  if (who.role === null) return "NOT_FOUND";
  if (rank[who.role] < rank[a]) return "FORBIDDEN";
  // a token is not a member who could leave; it gets revoked instead
  if (who.kind === "token" && path === "tenants.leave") return "FORBIDDEN";
  return "OK";
}

type Procedure = { _def: { type: "query" | "mutation" | "subscription"; inputs: unknown[] } };
const procedures = appRouter._def.procedures as unknown as Record<string, Procedure>;
const paths = Object.keys(procedures).sort();
const ruleOf = (path: string): Rule => {
  const r = rules[path];
  if (!r) throw new Error(`no rule for ${path} in roles.test.ts`);
  return r;
};
const schemaOf = (path: string) => procedures[path]?._def.inputs[0] as z.ZodType;

function tenantScoped(path: string): boolean {
  let s = schemaOf(path);
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject && "tenantId" in s.shape;
}

let h: Harness;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let viewer: TestUser;
let operator: TestUser;
let ids: Ids;

/** The error code a call ends in, or OK: every refusal must be a TRPCError, never a crash. */
async function outcome(actor: Actor | null, path: string, input: unknown = ruleOf(path).input(ids)) {
  const [ns, fn] = path.split(".") as [string, string];
  const caller = callerFor(h, actor) as unknown as Record<
    string,
    Record<string, (i: unknown) => Promise<unknown>>
  >;
  const call = caller[ns]?.[fn];
  if (!call) throw new Error(`no procedure ${path}`);
  try {
    await call(input);
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

/** Runs every call, then compares all of them at once so a failure lists every wrong answer. */
async function expectOutcomes(actor: Actor | null, want: Record<string, string>) {
  const actual: Record<string, string> = {};
  for (const path of Object.keys(want)) actual[path] = await outcome(actor, path);
  expect(actual).toEqual(want);
}

async function tokenActor(user: TestUser, tenantId: string, scopes: ("read" | "write")[]) {
  const created = await callerFor(h, user.actor).tokens.create({ tenantId, name: `${scopes}`, scopes });
  const actor = await authenticateToken({ db: h.deps.db, token: created.token });
  if (!actor) throw new Error("a fresh token did not authenticate");
  return { actor, token: created.token };
}

/**
 * Calls every procedure the caller must be refused (with the refusal expected), and every read
 * it may make; writes it may make are left to the tests that mean them. Nothing may change.
 */
async function expectRefusalsAndReads(actor: Actor | null, who: Who) {
  const plan = Object.fromEntries(
    paths.flatMap((p) => {
      const e = expected(who, p);
      return e !== "OK" || procedures[p]?._def.type === "query" ? [[p, e]] : [];
    }),
  );
  const before = await fingerprint(h.deps.db);
  await expectOutcomes(actor, plan);
  expect(await fingerprint(h.deps.db)).toBe(before);
  return plan;
}

/** Enrolls a host the way an agent does: an operator's join token, then the REST join. */
async function joinHost(name: string) {
  const joined = await enrollHost(h, operator, name, { capacity, capabilities, address: "10.0.0.1" });
  enrolled.push(joined.hostId);
  return joined;
}
const enrolled: string[] = [];

beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "Owner");
  admin = await signUp(h, "Admin");
  member = await signUp(h, "Member");
  viewer = await signUp(h, "Viewer");
  operator = await signUp(h, "Operator", { operator: true });
  const tenant = await makeTenant(h, owner, "roles", [
    [admin, "admin"],
    [member, "member"],
    [viewer, "viewer"],
  ]);
  const c = callerFor(h, owner.actor);
  const deployment = await c.deployments.create({ tenantId: tenant.id, name: "web", image: "busybox" });
  const token = await c.tokens.create({ tenantId: tenant.id, name: "fixture", scopes: ["read", "write"] });
  const invitation = await c.members.invite({
    tenantId: tenant.id,
    email: "invitee@example.test",
    role: "viewer",
  });
  const host = await joinHost("host-a");
  const [instance] = deployment.instances;
  if (!instance) throw new Error("the fixture deployment has no instance");
  // placed on the host, so that its agent may read what to run
  await h.deps.db.instance.update({ where: { id: instance.id }, data: { hostId: host.hostId } });
  ids = {
    tenantId: tenant.id,
    deploymentId: deployment.id,
    instanceId: instance.id,
    tokenId: token.id,
    invitationId: invitation.id,
    invitationToken: invitation.token,
    memberId: member.id,
    hostId: host.hostId,
  };
});
afterAll(async () => {
  // host enrolment creates a Redis ACL user, which outlives the harness's key prefix
  for (const id of enrolled) await h?.deps.redis.call("ACL", "DELUSER", `berth-host-${id}`).catch(() => {});
  await h?.close();
});

describe("role enforcement", () => {
  it("has a rule with a valid input for every procedure of the router", () => {
    expect(paths.filter((p) => !(p in rules))).toEqual([]);
    expect(Object.keys(rules).filter((p) => !paths.includes(p))).toEqual([]);
    for (const path of paths) {
      const parsed = schemaOf(path).safeParse(ruleOf(path).input(ids));
      // A refusal for a bad input would prove nothing about roles.
      expect(parsed.success, `${path}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      // Operators act across tenants by design: their procedures may name any tenant.
      if (ruleOf(path).access === "operator") continue;
      expect(isRole(ruleOf(path).access), `${path}: tenant-scoped iff its rule is a role`).toBe(
        tenantScoped(path),
      );
    }
  });

  it("answers UNAUTHORIZED to an unauthenticated caller everywhere, changing nothing", async () => {
    const plan = await expectRefusalsAndReads(null, { kind: "anonymous" });
    expect(Object.keys(plan)).toEqual(paths);
  });

  it("lets a viewer write nothing in the tenant but their own leaving", () => {
    const viewerWrites = paths.filter(
      (p) => procedures[p]?._def.type === "mutation" && tenantScoped(p) && ruleOf(p).access === "viewer",
    );
    expect(viewerWrites).toEqual(["tenants.leave"]);
  });

  const cases: [Role, () => TestUser][] = [
    ["viewer", () => viewer],
    ["member", () => member],
    ["admin", () => admin],
  ];
  it.each(cases)(
    "refuses the %s role everything above it, changing nothing, and serves its reads",
    async (role, who) => {
      const plan = await expectRefusalsAndReads(who().actor, { kind: "user", role, operator: false });
      const forbidden = Object.keys(plan).filter((p) => plan[p] === "FORBIDDEN");
      if (role === "viewer") {
        const tenantWrites = paths.filter((p) => procedures[p]?._def.type === "mutation" && tenantScoped(p));
        expect(forbidden.filter((p) => tenantWrites.includes(p))).toEqual(
          tenantWrites.filter((p) => p !== "tenants.leave"),
        );
      }
      if (role === "member") {
        expect(forbidden).toEqual(
          expect.arrayContaining([
            "members.invite",
            "members.setRole",
            "members.remove",
            "members.invitations",
            "members.revokeInvitation",
            "tokens.list",
            "tokens.create",
            "tokens.revoke",
            "registries.set",
            "registries.delete",
            "volumes.delete",
          ]),
        );
      }
      expect(forbidden).toEqual(expect.arrayContaining(paths.filter((p) => ruleOf(p).access === "operator")));
    },
  );

  it("refuses a read-only token every mutation and serves its reads, over tRPC and REST", async () => {
    const { actor, token } = await tokenActor(owner, ids.tenantId, ["read"]);
    // An owner's token without the write scope acts as a viewer.
    expect(actor).toMatchObject({ kind: "token", role: "viewer" });
    const before = await fingerprint(h.deps.db);
    const plan = await expectRefusalsAndReads(actor, { kind: "token", role: "viewer" });
    const mutations = paths.filter((p) => procedures[p]?._def.type === "mutation");
    expect(mutations.filter((p) => !(p in plan) || plan[p] === "OK")).toEqual([]);
    expect(Object.keys(plan).filter((p) => plan[p] === "OK")).toEqual(
      expect.arrayContaining([
        "tenants.get",
        "deployments.list",
        "deployments.get",
        "instances.list",
        "members.list",
      ]),
    );

    const rest = async (path: string, method = "GET", body?: unknown) => {
      const res = await handleRest(h.deps, restRequest(path, { method, token, body }));
      return { status: res.status, body: (await res.json()) as { message?: string } };
    };
    const t = `/tenants/${ids.tenantId}`;
    expect((await rest(`${t}/deployments`)).status).toBe(200);
    expect((await rest(`${t}/deployments/${ids.deploymentId}/instances`)).status).toBe(200);
    const create = await rest(`${t}/deployments`, "POST", { name: "by-token", image: "busybox" });
    expect(create.status).toBe(403);
    expect(create.body.message).toMatch(/member role; you are viewer/);
    expect((await rest(`${t}/deployments/${ids.deploymentId}`, "DELETE")).status).toBe(403);
    expect((await rest(t, "PATCH", { name: "Renamed" })).status).toBe(403);
    expect((await rest(`${t}/tokens`, "POST", { name: "escalate", scopes: ["write"] })).status).toBe(403);
    expect(await fingerprint(h.deps.db)).toBe(before);
  });

  it("gives a write token its creator's current role, not the one it was made with", async () => {
    const { token } = await tokenActor(admin, ids.tenantId, ["read", "write"]);
    const membership = { tenantId_userId: { tenantId: ids.tenantId, userId: admin.id } };
    await h.deps.db.membership.update({ where: membership, data: { role: "member" } });
    try {
      const actor = await authenticateToken({ db: h.deps.db, token });
      expect(actor).toMatchObject({ kind: "token", role: "member" });
      const plan = await expectRefusalsAndReads(actor, { kind: "token", role: "member" });
      expect(plan).toMatchObject({ "tokens.create": "FORBIDDEN", "members.invite": "FORBIDDEN" });
    } finally {
      await h.deps.db.membership.update({ where: membership, data: { role: "admin" } });
    }
  });

  it("lets a member create and delete deployments", async () => {
    const c = callerFor(h, member.actor);
    const d = await c.deployments.create({ tenantId: ids.tenantId, name: "member-made", image: "busybox" });
    expect(await h.deps.db.deployment.count({ where: { id: d.id } })).toBe(1);
    await c.deployments.delete({ tenantId: ids.tenantId, deploymentId: d.id });
    expect(await h.deps.db.deployment.count({ where: { id: d.id } })).toBe(0);
  });
  it("lets an admin manage members but not make or unmake owners", async () => {
    const [a, m, v] = [await signUp(h, "Admin2"), await signUp(h, "Member2"), await signUp(h, "Viewer2")];
    const t = await makeTenant(h, owner, "admins", [
      [a, "admin"],
      [m, "member"],
      [v, "viewer"],
    ]);
    const c = callerFor(h, a.actor);
    const before = await fingerprint(h.deps.db);
    const refusals = {
      "invite an owner": () =>
        c.members.invite({ tenantId: t.id, email: "boss@example.test", role: "owner" }),
      "promote to owner": () => c.members.setRole({ tenantId: t.id, userId: m.id, role: "owner" }),
      "demote the owner": () => c.members.setRole({ tenantId: t.id, userId: owner.id, role: "admin" }),
      "remove the owner": () => c.members.remove({ tenantId: t.id, userId: owner.id }),
    };
    for (const [what, call] of Object.entries(refusals)) {
      await expect(call(), what).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await fingerprint(h.deps.db)).toBe(before);

    const inv = await c.members.invite({ tenantId: t.id, email: "hire@example.test", role: "admin" });
    expect(inv.role).toBe("admin");
    await c.members.setRole({ tenantId: t.id, userId: v.id, role: "member" });
    await c.members.setRole({ tenantId: t.id, userId: m.id, role: "viewer" });
    await c.members.remove({ tenantId: t.id, userId: m.id });
    await c.members.revokeInvitation({ tenantId: t.id, invitationId: inv.id });
    const roles = await h.deps.db.membership.findMany({
      where: { tenantId: t.id },
      select: { userId: true, role: true },
    });
    expect(Object.fromEntries(roles.map((r) => [r.userId, r.role]))).toEqual({
      [owner.id]: "owner",
      [a.id]: "admin",
      [v.id]: "member",
    });
  });

  it("lets only operators, signed in, reach hosts", async () => {
    const ownerToken = await tokenActor(owner, ids.tenantId, ["read", "write"]);
    const ops = await makeTenant(h, operator, "ops");
    const operatorToken = await tokenActor(operator, ops.id, ["read", "write"]);
    const before = await fingerprint(h.deps.db);
    const refused = Object.fromEntries(
      paths.filter((p) => ruleOf(p).access === "operator").map((p) => [p, "FORBIDDEN"]),
    );
    expect(Object.keys(refused)).toEqual(expect.arrayContaining(["hosts.list", "hosts.remove"]));
    await expectOutcomes(owner.actor, refused);
    await expectOutcomes(ownerToken.actor, refused);
    // Even an operator's own token: tokens act inside one tenant, and hosts belong to none.
    await expectOutcomes(operatorToken.actor, refused);

    const hosts = await callerFor(h, operator.actor).hosts.list();
    expect(hosts.map((x) => x.id)).toEqual([ids.hostId]);
    expect((await callerFor(h, operator.actor).hosts.get({ hostId: ids.hostId })).name).toBe("host-a");

    const viaCookie = await handleRest(h.deps, restRequest("/hosts", { cookie: operator.cookie }));
    expect(viaCookie.status).toBe(200);
    const viaToken = await handleRest(h.deps, restRequest("/hosts", { token: operatorToken.token }));
    expect(viaToken.status).toBe(403);
    const ownerCookie = await handleRest(
      h.deps,
      restRequest(`/hosts/${ids.hostId}`, { cookie: owner.cookie }),
    );
    expect(ownerCookie.status).toBe(403);
    const joinByToken = await handleRest(
      h.deps,
      restRequest("/hosts/join-tokens", { method: "POST", token: operatorToken.token, body: {} }),
    );
    expect(joinByToken.status).toBe(403);
    expect(await fingerprint(h.deps.db)).toBe(before);
  });

  it("lets a host token reach the agent endpoints and nothing else", async () => {
    const host: Actor = { kind: "host", hostId: ids.hostId };
    const plan = await expectRefusalsAndReads(host, { kind: "host" });
    expect(plan["agent.instance"]).toBe("OK");
    expect(Object.keys(plan).filter((p) => !p.startsWith("agent.") && plan[p] !== "FORBIDDEN")).toEqual([]);
  });
});
