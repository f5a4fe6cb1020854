// Unikernel artifacts through the real store and the real local registry (pushed by
// `npm run unikernel:build`): pulled, not unpacked, kept by garbage collection, and never
// mistaken for a container image (nor the other way round).
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireUnikernelImages } from "./artifact-testing";
import { HELLO, REGISTRY, requireExampleImages, testStores } from "./testing";

const stores = testStores();
const HELLO_UK = `${REGISTRY}/examples/hello-unikernel:latest`;
const KV_UK = `${REGISTRY}/examples/kv-unikernel:latest`;

beforeAll(async () => {
  await requireExampleImages();
  await requireUnikernelImages();
});
afterAll(() => stores.cleanup());

describe("OciImageStore.ensureArtifact", () => {
  it("pulls a unikernel artifact and exposes its kernel blob and annotations, unpacking nothing", async () => {
    const { store, events } = await stores.create();
    const a = await store.ensureArtifact(HELLO_UK);
    expect(a.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(a.format).toBe("pvh-elf");
    expect(a.cmdline).toBe("");
    expect(a.memoryMiB).toBe(32);
    expect(a.annotations["org.berth.unikernel.ports"]).toBe("8080/tcp");
    const kernel = await readFile(a.kernel);
    expect(kernel.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    // The blob is content-addressed: its name is its digest.
    expect(`sha256:${createHash("sha256").update(kernel).digest("hex")}`).toBe(
      `sha256:${a.kernel.split("/").pop()}`,
    );
    expect(events.filter((e) => e.type === "unpack")).toHaveLength(0);
    expect(await readdir(store.layersDir)).toHaveLength(0);
    // A second ensure is answered from the store.
    expect(await store.ensureArtifact(HELLO_UK)).toEqual(a);
    expect(events.filter((e) => e.type === "pull")).toHaveLength(1);
    const kv = await store.ensureArtifact(KV_UK);
    expect(kv.kernel).not.toBe(a.kernel);
  });

  it("refuses each kind where the other is expected, saying why", async () => {
    const { store } = await stores.create();
    await expect(store.ensure(HELLO_UK)).rejects.toThrow(/is a unikernel artifact, not a container image/);
    await expect(store.ensureArtifact(HELLO)).rejects.toThrow(/is an OCI container image, not a unikernel/);
  });

  it("keeps an artifact's blobs through garbage collection until it is forgotten", async () => {
    const { store } = await stores.create();
    const a = await store.ensureArtifact(HELLO_UK);
    expect((await store.collectGarbage()).blobs).toBe(0);
    expect((await readFile(a.kernel)).length).toBeGreaterThan(1000);
    await store.forget(HELLO_UK);
    expect((await store.collectGarbage()).blobs).toBe(3);
  });
});
