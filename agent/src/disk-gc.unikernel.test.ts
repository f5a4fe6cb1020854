// The disk sweep around a real unikernel (the hello-unikernel artifact from the local registry,
// booted by QEMU under TCG through berth-jailer): the artifact a running instance boots stays
// however long unused it looks; once the instance is stopped, the artifact and its kernel go.
import { execFileSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskGc } from "./disk-gc";
import { requireNetAndImageTools } from "./drivers/container/probekit";
import { instanceSpec, tempDir } from "./drivers/container/testkit";
import type { VmRecord } from "./drivers/microvm/records";
import { createUnikernelDriver } from "./drivers/unikernel";
import { OciImageStore } from "./images";
import { HELLO_UNIKERNEL, requireUnikernelImages } from "./images/artifact-testing";
import { requireExampleImages } from "./images/testing";
import { createLog } from "./log";
import { createInstanceNetwork, type TenantNetwork } from "./net";

const pool = `10.${200 + randomInt(25)}.0.0/16`;
const portMin = 16000 + randomInt(40) * 25;
const log = createLog({ level: "warn" });
const spec = instanceSpec({
  instanceId: randomUUID(),
  tenantId: randomUUID(),
  image: HELLO_UNIKERNEL,
  isolation: "unikernel",
  cpuMillis: 500,
  memoryMiB: 64,
  ports: [{ port: 8080, protocol: "tcp" }],
});

let data = "";
let images: OciImageStore;
let network: TenantNetwork;
const driver = () =>
  createUnikernelDriver({ dataDir: join(data, "unikernel"), images, network, accelerator: "tcg", log });

beforeAll(async () => {
  requireNetAndImageTools();
  await requireExampleImages();
  await requireUnikernelImages();
  execFileSync("make", ["-s", "-C", new URL("../../native/jailer", import.meta.url).pathname]);
  data = await tempDir("berth-gc-uk-");
  images = new OciImageStore({ dataDir: join(data, "images") });
  network = createInstanceNetwork({
    dataDir: join(data, "net"),
    subnet: pool,
    portRange: { min: portMin, max: portMin + 24 },
    log,
  });
});

afterAll(async () => {
  await driver()
    .stop(spec.instanceId, 0)
    .catch(() => {});
  if (data) await rm(data, { recursive: true, force: true });
});

/** A sweep with the default policy, the artifact last asked for 30 days ago. */
async function sweepLongUnused() {
  await images.lastUsed.touch(HELLO_UNIKERNEL, Date.now() - 30 * 86_400_000);
  const gc = new DiskGc({
    intervalMs: 0,
    unusedMs: 7 * 86_400_000,
    minAgeMs: 600_000,
    highPct: 100,
    lowPct: 99,
    driver: driver(),
    images,
    dataDir: data,
    log,
  });
  return gc.sweep("test");
}

describe("the disk sweep and a unikernel", () => {
  it("keeps the artifact a running unikernel boots, and deletes it once the instance is stopped", async () => {
    const d = driver();
    const status = await d.start(spec);
    expect(status, JSON.stringify(status)).toMatchObject({ state: "running" });
    const artifact = await images.ensureArtifact(HELLO_UNIKERNEL);
    const record = JSON.parse(
      readFileSync(join(data, "unikernel/instances", spec.instanceId, "record.json"), "utf8"),
    ) as VmRecord;
    expect(record.image).toBe(artifact.digest);
    expect(await d.imagesInUse()).toEqual({ digests: [artifact.digest], unknown: [] });
    expect(await sweepLongUnused()).toMatchObject({ images: [], blobs: 0 });
    expect(existsSync(artifact.kernel)).toBe(true);

    expect(await d.stop(spec.instanceId, 0)).toMatchObject({ state: "stopped" });
    expect(await d.imagesInUse()).toEqual({ digests: [], unknown: [] });
    const swept = await sweepLongUnused();
    // The manifest, its config and the kernel.
    expect(swept).toMatchObject({ images: [HELLO_UNIKERNEL], blobs: 3, layers: 0 });
    expect(existsSync(artifact.kernel)).toBe(false);
  });
});
