// The tenant's volumes: listed with their size, host and users; deleted only once no deployment
// mounts them, and then the host that holds the data is told to delete it at its next heartbeat.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
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

const capacity = { cpuMillis: 2000, memoryMiB: 2048, maxInstances: 10 };
const capabilities = {
  isolationLevels: ["container"],
  accelerator: null,
  guestKernel: null,
  ociRuntime: "runc",
  cgroup: "v2",
};

let h: Harness;
let owner: TestUser;
let member: TestUser;
let tenantId: string;
let host: { hostId: string; hostToken: string };
const deployments: Record<string, string> = {};

const rest = async (path: string, init: Parameters<typeof restRequest>[1]) => {
  const res = await handleRest(h.deps, restRequest(path, init));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const volumeId = async (name: string) =>
  (await h.deps.db.volume.findFirstOrThrow({ where: { tenantId, name } })).id;

beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "Owner");
  member = await signUp(h, "Member");
  tenantId = (await makeTenant(h, owner, "volumes", [[member, "member"]])).id;
  const operator = await signUp(h, "Op", { operator: true });
  host = await enrollHost(h, operator, "vol-host", { capacity, capabilities });
  const c = callerFor(h, owner.actor);
  const create = async (
    name: string,
    volumes: { name: string; mountPath: string; sizeMiB?: number; readOnly?: boolean }[],
  ) => {
    deployments[name] = (await c.deployments.create({ tenantId, name, image: "busybox", volumes })).id;
  };
  await create("db", [
    { name: "data", mountPath: "/var/lib/db", sizeMiB: 64 },
    { name: "scratch", mountPath: "/scratch", sizeMiB: 16 },
  ]);
  await create("reader", [{ name: "data", mountPath: "/in", readOnly: true }]);
  await create("cache", [{ name: "cache", mountPath: "/cache", sizeMiB: 32 }]);
  // what the scheduler does when it first places an instance that mounts them
  await h.deps.db.volume.updateMany({
    where: { tenantId, name: { in: ["data", "scratch"] } },
    data: { hostId: host.hostId },
  });
});
afterAll(async () => {
  if (host) await h?.deps.redis.call("ACL", "DELUSER", `berth-host-${host.hostId}`).catch(() => {});
  await h?.close();
});

describe("volumes", () => {
  it("lists each volume's size, host and users, and the quota in use, to members", async () => {
    const list = await callerFor(h, member.actor).volumes.list({ tenantId });
    expect(list).toMatchObject({ quotaMiB: 10240, usedMiB: 64 + 16 + 32 });
    expect(list.volumes.map((v) => [v.name, v.sizeMiB, v.host?.name ?? null])).toEqual([
      ["cache", 32, null],
      ["data", 64, "vol-host"],
      ["scratch", 16, "vol-host"],
    ]);
    const data = list.volumes.find((v) => v.name === "data");
    expect(data?.host).toEqual({ id: host.hostId, name: "vol-host" });
    expect(data?.usedBy).toEqual([
      { deploymentId: deployments.db, deploymentName: "db", mountPath: "/var/lib/db", readOnly: false },
      { deploymentId: deployments.reader, deploymentName: "reader", mountPath: "/in", readOnly: true },
    ]);

    const viaRest = await rest(`/tenants/${tenantId}/volumes`, { cookie: member.cookie });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body).toEqual(JSON.parse(JSON.stringify(list)));
  });

  it("hides them from another tenant, which can neither list nor delete them", async () => {
    const stranger = await signUp(h, "Stranger");
    const own = await makeTenant(h, stranger, "elsewhere");
    const before = await fingerprint(h.deps.db);
    await expect(callerFor(h, stranger.actor).volumes.list({ tenantId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const del = await rest(`/tenants/${tenantId}/volumes/cache`, {
      method: "DELETE",
      cookie: stranger.cookie,
    });
    expect(del.status).toBe(404);
    // its own tenant with this tenant's volume name: nothing of that name there
    const swapped = await rest(`/tenants/${own.id}/volumes/cache`, {
      method: "DELETE",
      cookie: stranger.cookie,
    });
    expect([swapped.status, swapped.body.message]).toEqual([404, 'name: volume "cache" not found']);
    expect((await callerFor(h, stranger.actor).volumes.list({ tenantId: own.id })).volumes).toEqual([]);
    expect(await fingerprint(h.deps.db)).toBe(before);
  });

  it("answers 404 naming an unknown volume and 400 naming a malformed name, changing nothing", async () => {
    const before = await fingerprint(h.deps.db);
    const unknown = await rest(`/tenants/${tenantId}/volumes/nope`, {
      method: "DELETE",
      cookie: owner.cookie,
    });
    expect([unknown.status, unknown.body.message]).toEqual([404, 'name: volume "nope" not found']);
    const bad = await rest(`/tenants/${tenantId}/volumes/Not_A_Label`, {
      method: "DELETE",
      cookie: owner.cookie,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^name: /);
    expect(await fingerprint(h.deps.db)).toBe(before);
  });

  it("refuses to delete a volume while any deployment mounts it, even a stopped one, changing nothing", async () => {
    const c = callerFor(h, owner.actor);
    const before = await fingerprint(h.deps.db);
    const refused = await rest(`/tenants/${tenantId}/volumes/data`, {
      method: "DELETE",
      cookie: owner.cookie,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      'name: volume "data" is mounted by deployments "db", "reader"; delete them or update them not to mount it first',
    );
    expect(await fingerprint(h.deps.db)).toBe(before);

    await c.deployments.delete({ tenantId, deploymentId: deployments.reader ?? "" });
    await c.deployments.stop({ tenantId, deploymentId: deployments.db ?? "" });
    await expect(c.volumes.delete({ tenantId, name: "data" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining('mounted by deployment "db";'),
    });
    expect(await h.deps.db.volume.count({ where: { tenantId, name: "data" } })).toBe(1);
  });

  it("deletes it once its deployments are gone, with an audit entry, and its host deletes the data", async () => {
    const c = callerFor(h, owner.actor);
    const [dataId, scratchId] = [await volumeId("data"), await volumeId("scratch")];
    await c.deployments.delete({ tenantId, deploymentId: deployments.db ?? "" });
    const heartbeat = (volumes: string[]) =>
      rest("/agent/heartbeat", {
        method: "POST",
        token: host.hostToken,
        body: { capacity, capabilities, instances: [], volumes },
      });
    // while the rows exist the host keeps the data
    expect((await heartbeat([dataId, scratchId])).body.removeVolumes).toEqual([]);

    const deleted = await rest(`/tenants/${tenantId}/volumes/data`, {
      method: "DELETE",
      cookie: owner.cookie,
    });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: dataId, name: "data", sizeMiB: 64, usedBy: [] });
    const list = await c.volumes.list({ tenantId });
    expect(list.volumes.map((v) => v.name)).toEqual(["cache", "scratch"]);
    expect(list.usedMiB).toBe(16 + 32);
    const audit = await h.deps.db.auditLog.findFirstOrThrow({ where: { tenantId, action: "volume.delete" } });
    expect(audit).toMatchObject({
      actorId: owner.id,
      target: dataId,
      data: { name: "data", sizeMiB: 64, hostId: host.hostId },
    });

    // the next heartbeat names the deleted volume (and only it) until the host stops holding it
    expect((await heartbeat([dataId, scratchId])).body.removeVolumes).toEqual([dataId]);
    expect((await heartbeat([scratchId])).body.removeVolumes).toEqual([]);

    // a never-placed volume has no data anywhere: deleting it is only the row
    await c.deployments.delete({ tenantId, deploymentId: deployments.cache ?? "" });
    expect((await c.volumes.delete({ tenantId, name: "cache" })).host).toBeNull();
    expect((await c.volumes.list({ tenantId })).volumes.map((v) => v.name)).toEqual(["scratch"]);
  });

  it("refuses a rollback to a generation that mounts a deleted volume, changing nothing", async () => {
    const c = callerFor(h, owner.actor);
    const d = await c.deployments.create({
      tenantId,
      name: "journal",
      image: "busybox",
      volumes: [{ name: "journal", mountPath: "/j", sizeMiB: 16 }],
    });
    await c.deployments.update({ tenantId, deploymentId: d.id, volumes: [] });
    await c.volumes.delete({ tenantId, name: "journal" });
    const before = await fingerprint(h.deps.db);
    await expect(
      c.deployments.rollback({ tenantId, deploymentId: d.id, toGeneration: 1 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message:
        'toGeneration: generation 1 mounts volume "journal", which was deleted; update the deployment\'s volumes instead',
    });
    expect(await fingerprint(h.deps.db)).toBe(before);
    await c.deployments.delete({ tenantId, deploymentId: d.id });
  });

  it("refuses a member the delete, changing nothing", async () => {
    const before = await fingerprint(h.deps.db);
    await expect(
      callerFor(h, member.actor).volumes.delete({ tenantId, name: "scratch" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await fingerprint(h.deps.db)).toBe(before);
  });
});
