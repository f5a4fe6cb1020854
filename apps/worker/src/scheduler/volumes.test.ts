// Volumes: created on first use within the tenant's quota, and a deployment that mounts one goes
// to the host where it lives; the agent's instance spec carries what to mount.
import { handleRest, instanceSpec } from "@berth/api";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
} from "@berth/api/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { placeDeployment } from "./place";

let h: Harness;
let owner: TestUser;
let tenantId: string;

beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "Owner");
  tenantId = (await makeTenant(h, owner, "vols")).id;
  for (const name of ["va", "vb", "vc"])
    await h.deps.db.host.create({
      data: {
        name,
        address: "127.0.0.1",
        isolationLevels: ["container"],
        status: "ready",
        cpuMillis: 8000,
        memoryMiB: 8192,
        maxInstances: 10,
      },
    });
});
afterAll(() => h?.close());

it("creates a volume on first use, pins every instance to its host, and keeps it there", async () => {
  const c = callerFor(h, owner.actor);
  const a = await c.deployments.create({
    tenantId,
    name: "notes",
    image: "127.0.0.1:5000/examples/notes",
    replicas: 3,
    volumes: [{ name: "data", mountPath: "/data", sizeMiB: 64 }],
  });
  expect(a.volumes).toEqual([{ name: "data", mountPath: "/data", readOnly: false }]);
  const vol = await h.deps.db.volume.findFirstOrThrow({ where: { tenantId, name: "data" } });
  expect(vol).toMatchObject({ sizeMiB: 64, hostId: null });

  const placed = await placeDeployment(h.deps.db, a.id, "spread");
  expect(placed.placed).toHaveLength(3);
  // spread and anti-affinity would use three hosts; the volume keeps them on one
  const hosts = new Set(placed.placed.map((p) => p.hostId));
  expect(hosts.size).toBe(1);
  const [home] = [...hosts];
  expect((await h.deps.db.volume.findUniqueOrThrow({ where: { id: vol.id } })).hostId).toBe(home);

  // a second deployment mounting the same volume (read-only) follows it
  const b = await c.deployments.create({
    tenantId,
    name: "reader",
    image: "127.0.0.1:5000/examples/notes",
    volumes: [{ name: "data", mountPath: "/srv/notes", readOnly: true }],
  });
  const placedB = await placeDeployment(h.deps.db, b.id, "spread");
  expect(placedB.placed.map((p) => p.hostId)).toEqual([home]);

  // the agent is told what to mount, with the volume's id and size
  const first = placed.placed[0];
  if (!first || !home) throw new Error("nothing placed");
  const spec = await instanceSpec(h.deps.db, home, first.instanceId);
  expect(spec.volumes).toEqual([
    { volumeId: vol.id, name: "data", mountPath: "/data", sizeMiB: 64, readOnly: false },
  ]);

  // the volume's host is cordoned: the deployment cannot move, and says why
  await h.deps.db.host.update({ where: { id: home }, data: { cordoned: true } });
  const more = await c.deployments.scale({ tenantId, deploymentId: b.id, replicas: 2 });
  expect(more.instances).toHaveLength(2);
  const r = await placeDeployment(h.deps.db, b.id);
  expect(r).toMatchObject({ placed: [], unplaced: 1 });
  const waiting = await h.deps.db.instance.findFirstOrThrow({
    where: { deploymentId: b.id, state: "pending" },
  });
  expect(waiting.reason).toMatch(/most common reason: volume\(s\) data live on another host/);
  await h.deps.db.host.update({ where: { id: home }, data: { cordoned: false } });
});

it("refuses a volume past the quota, a changed size and bad mount paths, naming the field, changing nothing", async () => {
  const c = callerFor(h, owner.actor);
  await h.deps.db.tenant.update({ where: { id: tenantId }, data: { quotaVolumeMiB: 200 } });
  const before = await h.deps.db.volume.count();
  await expect(
    c.deployments.create({
      tenantId,
      name: "big",
      image: "busybox",
      volumes: [
        { name: "small", mountPath: "/a", sizeMiB: 16 },
        { name: "huge", mountPath: "/b", sizeMiB: 500 },
      ],
    }),
  ).rejects.toThrow(
    /volumes\[1\]\.sizeMiB: the tenant's volume quota is 200 MiB, 80 MiB in use, 500 MiB requested/,
  );
  await expect(
    c.deployments.create({
      tenantId,
      name: "resize",
      image: "busybox",
      volumes: [{ name: "data", mountPath: "/data", sizeMiB: 128 }],
    }),
  ).rejects.toThrow(/volumes\[0\]\.sizeMiB: volume "data" exists with 64 MiB/);
  expect(await h.deps.db.volume.count()).toBe(before);
  expect(await h.deps.db.deployment.count({ where: { name: { in: ["big", "resize"] } } })).toBe(0);

  for (const [mountPath, message] of [
    ["data", "must be an absolute path"],
    ["/", "must be an absolute path"],
    ["/proc/x", "must not be /, /proc"],
    ["/a/../etc", "must not contain . or .."],
  ] as const) {
    const res = await handleRest(
      h.deps,
      restRequest(`/tenants/${tenantId}/deployments`, {
        method: "POST",
        cookie: owner.cookie,
        body: { name: "bad", image: "busybox", volumes: [{ name: "v", mountPath }] },
      }),
    );
    expect(res.status, mountPath).toBe(400);
    const body = JSON.stringify(await res.json());
    expect(body, mountPath).toContain("volumes");
    expect(body, mountPath).toContain(message);
  }
  const twice = await handleRest(
    h.deps,
    restRequest(`/tenants/${tenantId}/deployments`, {
      method: "POST",
      cookie: owner.cookie,
      body: {
        name: "bad",
        image: "busybox",
        volumes: [
          { name: "v", mountPath: "/a" },
          { name: "w", mountPath: "/a" },
        ],
      },
    }),
  );
  expect(twice.status).toBe(400);
  expect(await h.deps.db.volume.count()).toBe(before);
});

it("refuses volumes at the virtual machine levels, on create and on update, changing nothing", async () => {
  const c = callerFor(h, owner.actor);
  const volumes = [{ name: "vmdata", mountPath: "/data", sizeMiB: 16 }];
  const before = await h.deps.db.volume.count();
  for (const isolation of ["microvm", "unikernel"] as const)
    await expect(
      c.deployments.create({ tenantId, name: `vm-${isolation}`, image: "busybox", isolation, volumes }),
    ).rejects.toThrow(`volumes: isolation level "${isolation}" does not mount volumes yet`);
  const vm = await c.deployments.create({
    tenantId,
    name: "vm-plain",
    image: "busybox",
    isolation: "microvm",
  });
  await expect(c.deployments.update({ tenantId, deploymentId: vm.id, volumes })).rejects.toThrow(
    'volumes: isolation level "microvm" does not mount volumes yet',
  );
  expect(await h.deps.db.volume.count()).toBe(before);
  expect((await c.deployments.get({ tenantId, deploymentId: vm.id })).generation).toBe(vm.generation);
});
