// Tenant isolation: a member of tenant B who uses tenant A's ids learns nothing and changes
// nothing. The cases are keyed by procedure path and checked against the router itself, so a
// new procedure without a case fails this test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "./router";
import { callerFor, createHarness, type Harness, makeTenant, signUp, type TestUser } from "./testing";

type Ids = {
  tenantId: string;
  deploymentId: string;
  tokenId: string;
  invitationId: string;
  memberId: string;
  volumeName: string;
};
type Case =
  | {
      scoped: true;
      input: (a: Ids) => Record<string, unknown>;
      swap?: (a: Ids, b: Ids) => Record<string, unknown>;
    }
  | { scoped: false; why: string };

const byDeployment = {
  input: (a: Ids) => ({ tenantId: a.tenantId, deploymentId: a.deploymentId }),
  swap: (a: Ids, b: Ids) => ({ tenantId: b.tenantId, deploymentId: a.deploymentId }),
};

const cases: Record<string, Case> = {
  "me.get": { scoped: false, why: "describes the caller only" },
  "tenants.list": { scoped: false, why: "lists the caller's own memberships" },
  "tenants.create": { scoped: false, why: "creates a new tenant" },
  "members.accept": { scoped: false, why: "reached by the invitation's secret, not by an id" },
  "hosts.list": { scoped: false, why: "operators only; hosts belong to no tenant" },
  "hosts.get": { scoped: false, why: "operators only; hosts belong to no tenant" },
  "hosts.cordon": { scoped: false, why: "operators only; hosts belong to no tenant" },
  "hosts.drain": { scoped: false, why: "operators only; hosts belong to no tenant" },
  "hosts.remove": { scoped: false, why: "operators only; hosts belong to no tenant" },
  "hosts.createJoinToken": { scoped: false, why: "operators only; hosts belong to no tenant" },
  "operator.tenants": { scoped: false, why: "operators only; sees every tenant by design" },
  "operator.updateTenant": { scoped: false, why: "operators only; sets any tenant's policy by design" },
  "operator.audit": { scoped: false, why: "operators only; reads every tenant's log by design" },
  "operator.queues": { scoped: false, why: "operators only; queues belong to no tenant" },
  "operator.queueJobs": { scoped: false, why: "operators only; queues belong to no tenant" },
  "operator.retryJob": { scoped: false, why: "operators only; queues belong to no tenant" },
  "operator.removeJob": { scoped: false, why: "operators only; queues belong to no tenant" },
  "agent.join": { scoped: false, why: "a host enrolls with a one-time join token" },
  "agent.heartbeat": { scoped: false, why: "host token: reaches only the host's own instances" },
  "agent.report": { scoped: false, why: "host token: reaches only the host's own instances" },
  "agent.instance": { scoped: false, why: "host token: reaches only the host's own instances" },
  "tenants.get": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "tenants.update": { scoped: true, input: (a) => ({ tenantId: a.tenantId, name: "pwned" }) },
  "tenants.leave": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "members.list": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "members.invite": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, email: "x@example.test", role: "admin" }),
  },
  "members.invitations": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "members.revokeInvitation": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, invitationId: a.invitationId }),
    swap: (a, b) => ({ tenantId: b.tenantId, invitationId: a.invitationId }),
  },
  "members.setRole": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, userId: a.memberId, role: "owner" }),
    swap: (a, b) => ({ tenantId: b.tenantId, userId: a.memberId, role: "owner" }),
  },
  "members.remove": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, userId: a.memberId }),
    swap: (a, b) => ({ tenantId: b.tenantId, userId: a.memberId }),
  },
  "tokens.list": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "tokens.create": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, name: "steal", scopes: ["write"] }),
  },
  "tokens.revoke": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, tokenId: a.tokenId }),
    swap: (a, b) => ({ tenantId: b.tenantId, tokenId: a.tokenId }),
  },
  "registries.list": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "registries.catalog": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "registries.set": {
    scoped: true,
    input: (a) => ({
      tenantId: a.tenantId,
      registry: "registry.tenant-a.example",
      username: "b",
      password: "x",
    }),
  },
  "registries.delete": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, registry: "registry.tenant-a.example" }),
    swap: (_a, b) => ({ tenantId: b.tenantId, registry: "registry.tenant-a.example" }),
  },
  "deployments.list": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "deployments.get": { scoped: true, ...byDeployment },
  "deployments.create": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, name: "intruder", image: "busybox" }),
  },
  "deployments.delete": { scoped: true, ...byDeployment },
  "deployments.scale": {
    scoped: true,
    input: (a) => ({ ...byDeployment.input(a), replicas: 5 }),
    swap: (a, b) => ({ ...byDeployment.swap(a, b), replicas: 5 }),
  },
  "deployments.stop": { scoped: true, ...byDeployment },
  "deployments.update": {
    scoped: true,
    input: (a) => ({ ...byDeployment.input(a), image: "evil" }),
    swap: (a, b) => ({ ...byDeployment.swap(a, b), image: "evil" }),
  },
  "deployments.rollback": { scoped: true, ...byDeployment },
  "deployments.revisions": { scoped: true, ...byDeployment },
  "deployments.restart": { scoped: true, ...byDeployment },
  "deployments.events": { scoped: true, ...byDeployment },
  "deployments.logs": { scoped: true, ...byDeployment },
  "deployments.start": { scoped: true, ...byDeployment },
  "instances.list": { scoped: true, ...byDeployment },
  "volumes.list": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
  "volumes.delete": {
    scoped: true,
    input: (a) => ({ tenantId: a.tenantId, name: a.volumeName }),
    swap: (a, b) => ({ tenantId: b.tenantId, name: a.volumeName }),
  },
  "audit.list": { scoped: true, input: (a) => ({ tenantId: a.tenantId }) },
};

let h: Harness;
let ownerA: TestUser;
let ownerB: TestUser;
let a: Ids;
let b: Ids;

async function seed(owner: TestUser, member: TestUser, name: string): Promise<Ids> {
  const t = await makeTenant(h, owner, name, [[member, "member"]]);
  const c = callerFor(h, owner.actor);
  // the volume's name is the tenant's own: B deleting "A's name" in B must find nothing
  const volumeName = `${name}-data`;
  await c.deployments.create({
    tenantId: t.id,
    name: "db",
    image: "busybox",
    volumes: [{ name: volumeName, mountPath: "/data", sizeMiB: 16 }],
  });
  const d = await c.deployments.create({ tenantId: t.id, name: "web", image: "busybox" });
  const tok = await c.tokens.create({
    tenantId: t.id,
    name: "ci",
    scopes: ["read", "write"],
    expiresInDays: 1,
  });
  const inv = await c.members.invite({
    tenantId: t.id,
    email: `${name}-invitee@example.test`,
    role: "viewer",
  });
  // every tenant has credentials for its own registry; A's are what B must not touch
  await c.registries.set({
    tenantId: t.id,
    registry: `registry.${name}.example`,
    username: name,
    password: "s3cret",
  });
  return {
    tenantId: t.id,
    deploymentId: d.id,
    tokenId: tok.id,
    invitationId: inv.id,
    memberId: member.id,
    volumeName,
  };
}

/** Everything tenant A owns, as text: any change by tenant B's calls shows up here. */
async function snapshotOf(tenantId: string): Promise<string> {
  const db = h.deps.db;
  const rows = await Promise.all([
    db.tenant.findUnique({ where: { id: tenantId } }),
    db.membership.findMany({ where: { tenantId }, orderBy: { userId: "asc" } }),
    db.invitation.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    db.apiToken.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    db.deployment.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    db.registryCredential.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    db.instance.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    db.volume.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    db.auditLog.count({ where: { tenantId } }),
  ]);
  return JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

beforeAll(async () => {
  h = await createHarness();
  ownerA = await signUp(h, "OwnerA");
  ownerB = await signUp(h, "OwnerB");
  a = await seed(ownerA, await signUp(h, "MemberA"), "tenant-a");
  b = await seed(ownerB, await signUp(h, "MemberB"), "tenant-b");
});
afterAll(() => h?.close());

describe("tenant isolation", () => {
  const procedures = Object.keys(appRouter._def.procedures).sort();

  it("has a case for every procedure of the router", () => {
    expect(procedures.filter((p) => !(p in cases))).toEqual([]);
    expect(Object.keys(cases).filter((p) => !procedures.includes(p))).toEqual([]);
  });

  for (const path of procedures) {
    const c = cases[path];
    if (!c?.scoped) continue;
    it(`${path}: tenant B's owner gets NOT_FOUND on tenant A's ids, and nothing changes`, async () => {
      const before = await snapshotOf(a.tenantId);
      const call = (input: Record<string, unknown>) => {
        const [ns, fn] = path.split(".") as [string, string];
        // biome-ignore lint/suspicious/noExplicitAny: procedures are looked up by name
        const caller = callerFor(h, ownerB.actor) as any;
        return caller[ns][fn](input) as Promise<unknown>;
      };
      await expect(call(c.input(a))).rejects.toMatchObject({ code: "NOT_FOUND" });
      // B's own tenant id with A's nested ids: the nested row must not be found either.
      if (c.swap) await expect(call(c.swap(a, b))).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await snapshotOf(a.tenantId)).toEqual(before);
    });
  }

  it("an API token of tenant B cannot reach tenant A", async () => {
    const tok = await callerFor(h, ownerB.actor).tokens.create({
      tenantId: b.tenantId,
      name: "b",
      scopes: ["read", "write"],
      expiresInDays: 1,
    });
    const { handleRest } = await import("./rest");
    const { restRequest } = await import("./testing");
    const res = await handleRest(
      h.deps,
      restRequest(`/tenants/${a.tenantId}/deployments`, { token: tok.token }),
    );
    expect(res.status).toBe(404);
    const del = await handleRest(
      h.deps,
      restRequest(`/tenants/${a.tenantId}/deployments/${a.deploymentId}`, {
        method: "DELETE",
        token: tok.token,
      }),
    );
    expect(del.status).toBe(404);
    expect(await h.deps.db.deployment.count({ where: { id: a.deploymentId } })).toBe(1);
  });
});

describe("scoping helper", () => {
  it("covers every model of the schema that has a tenantId", async () => {
    const { readFile } = await import("node:fs/promises");
    const { tenantOwnedModels } = await import("./scope");
    const schema = await readFile(new URL("../../../prisma/schema.prisma", import.meta.url), "utf8");
    const owned = [...schema.matchAll(/^model (\w+) \{([^}]*)\}/gm)]
      .filter(([, , body]) => /^\s+tenantId\s/m.test(body ?? ""))
      .map(([, name]) => name)
      .sort();
    expect([...tenantOwnedModels].sort()).toEqual(owned);
  });
});
