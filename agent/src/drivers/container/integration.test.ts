// The container driver with the real image store: the example image from the local registry, and
// the image store's layers (whiteouts included) seen through the driver's idmapped overlay.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciImageStore } from "../../images";
import { HELLO, pushWhiteoutImage, requireExampleImages } from "../../images/testing";
import { createLog } from "../../log";
import { defaultIdmapHelper } from "./driver";
import { idRangeBase, idRangeSize } from "./ids";
import { createContainerDriver } from "./index";
import { mountRootfs, removeWriteLayer } from "./rootfs";
import { instanceSpec, NetnsNetwork, requireHostTools, tempDir } from "./testkit";

let data: string;
let images: OciImageStore;
const network = new NetnsNetwork();

beforeAll(async () => {
  requireHostTools();
  await requireExampleImages();
  data = await tempDir("berth-container-int-");
  await chmod(data, 0o711);
  images = new OciImageStore({ dataDir: join(data, "images") });
});

afterAll(async () => {
  for (const name of network.names) execFileSync("ip", ["netns", "del", name]);
  const mounted = readFileSync("/proc/self/mountinfo", "utf8").includes(data);
  if (data && !mounted) await rm(data, { recursive: true, force: true });
});

describe("the container driver with the image store", () => {
  it("runs the example HTTP image: HTTP 200 inside its namespace, its lines in console.log", async () => {
    const driver = createContainerDriver({
      dataDir: join(data, "agent"),
      images,
      network,
      log: createLog({ level: "warn" }),
    });
    const spec = instanceSpec({
      instanceId: randomUUID(),
      tenantId: randomUUID(),
      image: HELLO,
      ports: [{ port: 8080, protocol: "tcp" }],
    });
    await driver.prepare(spec);
    const status = await driver.start(spec);
    expect(status.state).toBe("running");
    const netns = `berth-ct-${spec.instanceId.slice(0, 8)}`;
    let body = "";
    for (let i = 0; i < 100 && !body; i++) {
      try {
        body = execFileSync(
          "ip",
          ["netns", "exec", netns, "busybox", "wget", "-qO-", "http://127.0.0.1:8080/"],
          {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          },
        );
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(body).toContain("Hello from Berth");
    // The disk sweep: the running container names its image; and even with the image forgotten
    // and collected, its layers stay, because they are mounted under the container's overlay.
    const image = await images.ensure(HELLO);
    expect(await driver.imagesInUse()).toEqual({ digests: [image.digest], unknown: [] });
    await images.forget(HELLO);
    expect((await images.collectGarbage()).layers).toBe(0);
    for (const l of image.layers) expect(existsSync(l), l).toBe(true);
    const lines: string[] = [];
    for await (const line of driver.logs(spec.instanceId, { follow: false })) lines.push(line);
    expect(lines.join("\n")).toMatch(/listening on port 8080/);
    expect(await driver.stop(spec.instanceId, 3000)).toMatchObject({ state: "stopped" });
    // Stopped, it holds nothing: the next collection takes the forgotten image's layers.
    expect(await driver.imagesInUse()).toEqual({ digests: [], unknown: [] });
    expect((await images.collectGarbage()).layers).toBe(image.layers.length);
  });

  it("applies the layers' whiteouts through the idmapped layers, and shows host root as the tenant's root", async () => {
    const image = await images.ensure(await pushWhiteoutImage());
    const instanceDir = join(data, "rootfs-check");
    await mkdir(instanceDir, { recursive: true });
    const hostIdBase = idRangeBase + 7 * idRangeSize;
    const rootfs = await mountRootfs({
      instanceDir,
      layers: image.layers,
      hostIdBase,
      idCount: idRangeSize,
      idmapHelper: defaultIdmapHelper,
    });
    try {
      expect(readFileSync(join(rootfs, "etc/kept.txt"), "utf8")).toBe("kept\n");
      expect(existsSync(join(rootfs, "etc/gone.txt"))).toBe(false);
      expect(existsSync(join(rootfs, "opq/old.txt"))).toBe(false);
      expect(readFileSync(join(rootfs, "opq/new.txt"), "utf8")).toBe("new\n");
      // Owned by host root on disk, by the range's first id (root inside) through the mount.
      expect(statSync(join(image.layers[0] as string, "etc/kept.txt")).uid).toBe(0);
      expect(statSync(join(rootfs, "etc/kept.txt")).uid).toBe(hostIdBase);
    } finally {
      await removeWriteLayer(instanceDir);
    }
  });
});
