// A deleted volume's data leaves its host: the agent lists the volumes in its store in every
// heartbeat, the control plane names those whose rows are gone, and the agent deletes them. Real
// control plane (REST on Postgres), real loop-mounted ext4 volumes; the sim driver runs nothing.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callerFor, createHarness, type Harness, makeTenant, signUp } from "@berth/api/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent } from "../agent";
import { SimDriver } from "../drivers/sim";
import { enroll } from "../enroll";
import type { HostInfo } from "../host-info";
import { silentLog } from "../log";
import { serveRest, waitFor } from "../testing";
import { VolumeStore } from "./store";

const host: HostInfo = {
  capacity: { cpuMillis: 4000, memoryMiB: 8192, maxInstances: 50 },
  capabilities: {
    isolationLevels: ["container"],
    accelerator: null,
    guestKernel: null,
    ociRuntime: null,
    cgroup: null,
    sim: true,
  },
};

let h: Harness;
let server: Server;
let dir: string;
let store: VolumeStore;
let agent: Agent | undefined;
let hostId: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-vol-gc-"));
  store = new VolumeStore(join(dir, "volumes"));
  h = await createHarness();
  let base: string;
  ({ server, base } = await serveRest(h));
  const operator = await signUp(h, "Op", { operator: true });
  const { token } = await callerFor(h, operator.actor).hosts.createJoinToken();
  const state = await enroll({
    server: base,
    joinToken: token,
    name: "vol-gc",
    address: "127.0.0.1",
    labels: {},
    host,
    sim: true,
  });
  hostId = state.hostId;
  agent = new Agent({
    state,
    driver: new SimDriver({ hostId: state.hostId }),
    log: silentLog,
    host,
    heartbeatIntervalMs: 200,
    volumes: store,
  });
});
afterAll(async () => {
  await agent?.stop();
  for (const id of await store.list()) await store.remove(id).catch(() => {});
  if (hostId) await h?.deps.redis.call("ACL", "DELUSER", `berth-host-${hostId}`).catch(() => {});
  await new Promise((r) => server?.close(r));
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

it("deletes the data of a volume its tenant deleted, and keeps every other", async () => {
  const owner = await signUp(h, "Owner");
  const tenantId = (await makeTenant(h, owner, "vol-gc")).id;
  const c = callerFor(h, owner.actor);
  const d = await c.deployments.create({
    tenantId,
    name: "db",
    image: "busybox",
    volumes: [
      { name: "data", mountPath: "/data", sizeMiB: 16 },
      { name: "keep", mountPath: "/keep", sizeMiB: 16 },
    ],
  });
  const rows = await h.deps.db.volume.findMany({ where: { tenantId }, orderBy: { name: "asc" } });
  const [data, keep] = rows.map((r) => r.id) as [string, string];
  await h.deps.db.volume.updateMany({ where: { tenantId }, data: { hostId } });
  // what the container driver does when an instance mounts them
  for (const id of [data, keep]) {
    const mount = await store.ensure({ volumeId: id, sizeMiB: 16, uid: 0, gid: 0 });
    await writeFile(join(mount, "note.txt"), id);
  }

  await agent?.start();
  // a few heartbeats with both volumes in place: the agent keeps them
  const after = new Date(Date.now() + 600);
  await waitFor(
    async () => {
      const row = await h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } });
      return row.lastHeartbeatAt && row.lastHeartbeatAt > after;
    },
    { what: "heartbeats" },
  );
  expect((await store.list()).sort()).toEqual([data, keep].sort());

  await c.deployments.delete({ tenantId, deploymentId: d.id });
  await c.volumes.delete({ tenantId, name: "data" });
  await waitFor(async () => !(await store.list()).includes(data), { what: "the deleted volume's data gone" });
  expect(await store.list()).toEqual([keep]);
  // a volume without a row (a deletion while the agent was down) goes too
  const orphan = randomUUID();
  await store.ensure({ volumeId: orphan, sizeMiB: 16, uid: 0, gid: 0 });
  await waitFor(async () => !(await store.list()).includes(orphan), { what: "the orphan volume gone" });
  expect(await store.list()).toEqual([keep]);
});
