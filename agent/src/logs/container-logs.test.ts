// The shipper over what the real container driver writes (runc, root only): a workload's stdout
// and stderr reach its Redis stream, in order, and a shipper restarted meanwhile loses nothing.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import { join } from "node:path";
import { createHostRedisUser, deleteHostRedisUser } from "@berth/api";
import { testRedisUrl } from "@berth/api/testing";
import { logStreamKey } from "@berth/contracts";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ContainerDriver } from "../drivers/container/driver";
import {
  busyboxLayer,
  instanceSpec,
  LayerImages,
  NetnsNetwork,
  requireHostTools,
  tempDir,
} from "../drivers/container/testkit";
import { createLog } from "../log";
import { waitFor } from "../testing";
import { createLogShipper, watchDirectory } from "./index";

const prefix = `berth-test-ctlogs-${randomBytes(4).toString("hex")}`;
const hostId = randomUUID();
const network = new NetnsNetwork();
let data: string;
let driver: ContainerDriver;
let admin: Redis;
let agentRedis: Redis;
const started: string[] = [];

beforeAll(async () => {
  requireHostTools();
  data = await tempDir("berth-ctlogs-");
  await chmod(data, 0o711);
  const images = new LayerImages([await busyboxLayer(join(data, "layer0"))]);
  driver = new ContainerDriver({
    dataDir: join(data, "agent"),
    images,
    network,
    log: createLog({ level: "warn" }),
  });
  admin = new Redis(testRedisUrl);
  const user = await createHostRedisUser(admin, { hostId, prefix });
  agentRedis = new Redis(testRedisUrl, { username: user.username, password: user.password });
});

afterAll(async () => {
  for (const id of started) await driver?.stop(id, 0).catch(() => {});
  for (const name of network.names) execFileSync("ip", ["netns", "del", name]);
  agentRedis?.disconnect();
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length) await admin.del(...keys);
  await deleteHostRedisUser(admin, hostId).catch(() => {});
  admin?.disconnect();
  const mounted = readFileSync("/proc/self/mountinfo", "utf8").includes(data);
  if (data && !mounted) await rm(data, { recursive: true, force: true });
});

const linesOf = async (id: string) =>
  (await admin.xrange(logStreamKey(prefix, hostId, id), "-", "+")).map(([, f]) => f[1] as string);

it("ships a container's stdout and stderr, in order, across a shipper restart", async () => {
  const ship = () => {
    const shipper = createLogShipper({ redis: agentRedis, hostId, prefix });
    const stop = watchDirectory(shipper, join(data, "agent", "instances"));
    return async () => {
      stop();
      await shipper.close();
    };
  };
  let stopShipping = ship();
  const id = randomUUID();
  started.push(id);
  const script =
    "echo out; echo err >&2; i=0; while [ $i -lt 40 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done; sleep 1000";
  const status = await driver.start(
    instanceSpec({ instanceId: id, tenantId: randomUUID(), command: ["sh", "-c", script] }),
  );
  expect(status.state).toBe("running");
  await waitFor(async () => (await linesOf(id)).includes("tick 5"), { what: "the first ticks shipped" });
  await stopShipping(); // the agent restarts while the workload keeps writing
  await new Promise((r) => setTimeout(r, 500));
  stopShipping = ship();
  try {
    const expected = ["out", "err", ...Array.from({ length: 40 }, (_, i) => `tick ${i}`)];
    await waitFor(async () => (await linesOf(id)).length >= expected.length, { what: "every line" });
    expect(await linesOf(id)).toEqual(expected);
  } finally {
    await stopShipping();
  }
});
