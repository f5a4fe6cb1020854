// The image store: pulls with skopeo into one content-addressed OCI layout, unpacks each layer
// once into a read-only directory keyed by its diff id, and mounts one overlay per instance.
// Layout on disk: docs/images.md.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { kindOf, notAnImage, readArtifact } from "./artifact";
import { ImageError } from "./errors";
import { collectGarbage, type GarbageReport } from "./gc";
import { type Descriptor, imageConfig, Layout, type Manifest, type OciConfig } from "./layout";
import { KeyedLock, SharedExclusiveLock } from "./lock";
import { isMountPoint, mountInstanceOverlay, unmount } from "./overlay";
import { type ImageRef, parseRef } from "./ref";
import { copyImage, layerDigests, withSource } from "./skopeo";
import { type ImageSweep, type ImageSweepReport, sweepImages } from "./sweep";
import type {
  ImageStore,
  InstanceRootfs,
  PulledImage,
  RegistryCredentials,
  UnikernelArtifact,
} from "./types";
import { layerDirName, unpackLayer } from "./unpack";
import { LastUsed } from "./used";

export type ImageEvent =
  /** `fetched`: the layer blobs that were not in the store, so skopeo downloaded them. */
  | { type: "pull"; ref: string; digest: string; ms: number; fetched: string[] }
  | { type: "unpack"; ref: string; diffId: string; ms: number }
  | { type: "mount"; instanceId: string; ref: string };

export type OciImageStoreOptions = {
  /** Everything lives here (e.g. /var/lib/berth/images). One store per directory. */
  dataDir: string;
  /**
   * "missing" (default): a reference already in the store is not pulled again.
   * "always": tags are resolved against the registry on every ensure (digests never move).
   */
  pullPolicy?: "missing" | "always";
  pullTimeoutMs?: number;
  skopeo?: string;
  onEvent?: (e: ImageEvent) => void;
};

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const INDEX_MEDIA = /manifest\.list|image\.index/;

export class OciImageStore implements ImageStore {
  readonly layout: Layout;
  readonly layersDir: string;
  readonly instancesDir: string;
  private readonly tmpDir: string;
  private ready: Promise<void> | null = null;
  // Per key, so two instances of one image pull and unpack once, while other images go on.
  private readonly refLock = new KeyedLock();
  private readonly layerLock = new KeyedLock();
  private readonly instanceLock = new KeyedLock();
  private readonly indexLock = new KeyedLock();
  private readonly blobLock = new KeyedLock();
  private readonly gcLock = new SharedExclusiveLock();
  /** When each reference was last asked for: the disk sweep deletes the least recently used first. */
  readonly lastUsed: LastUsed;

  constructor(private readonly opts: OciImageStoreOptions) {
    this.opts = { ...opts, dataDir: resolve(opts.dataDir) };
    this.layout = new Layout(join(this.opts.dataDir, "oci"));
    this.layersDir = join(this.opts.dataDir, "layers");
    this.instancesDir = join(this.opts.dataDir, "instances");
    this.tmpDir = join(this.opts.dataDir, "tmp");
    this.lastUsed = new LastUsed(join(this.opts.dataDir, "last-used.json"));
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await this.layout.init();
      for (const d of [this.layersDir, this.instancesDir]) await mkdir(d, { recursive: true });
      // Left by a crash: half-unpacked layers and pulls that never finished.
      await rm(this.tmpDir, { recursive: true, force: true });
      await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
      for (const name of await readdir(this.layersDir)) {
        if (name.startsWith(".tmp-")) await rm(join(this.layersDir, name), { recursive: true, force: true });
      }
    })();
    this.ready.catch(() => (this.ready = null));
    return this.ready;
  }

  async ensure(ref: string, opts: { credentials?: RegistryCredentials } = {}): Promise<PulledImage> {
    const r = parseRef(ref);
    await this.init();
    return this.gcLock.shared(() => this.ensureHeld(r, opts.credentials));
  }

  /** ensure, for callers that already hold the store (the lock is not reentrant). */
  private ensureHeld(r: ImageRef, credentials?: RegistryCredentials): Promise<PulledImage> {
    return this.fetched(r, credentials, (desc) => this.materialize(r, desc));
  }

  /**
   * A unikernel artifact: pulled into the same layout (skopeo copies any OCI manifest), its kernel
   * left as the blob it is. Garbage collection keeps it like an image (manifest, config, layer).
   */
  async ensureArtifact(
    ref: string,
    opts: { credentials?: RegistryCredentials } = {},
  ): Promise<UnikernelArtifact> {
    const r = parseRef(ref);
    await this.init();
    return this.gcLock.shared(() =>
      this.fetched(r, opts.credentials, (desc) => {
        if (INDEX_MEDIA.test(desc.mediaType))
          throw new Error(`${desc.mediaType} is an index, not an artifact`);
        return readArtifact(this.layout, desc.digest);
      }),
    );
  }

  /** The reference's manifest in the layout (pulled when missing or refreshed), then `use` of it. */
  private fetched<T>(
    r: ImageRef,
    credentials: RegistryCredentials | undefined,
    use: (d: Descriptor) => Promise<T>,
  ) {
    return this.refLock.run(r.canonical, async () => {
      try {
        const refresh = this.opts.pullPolicy === "always" && !r.digest;
        const desc =
          (!refresh && (await this.layout.lookup(r.canonical))) || (await this.pull(r, credentials));
        const out = await use(desc);
        await this.lastUsed.touch(r.canonical);
        return out;
      } catch (e) {
        if (e instanceof ImageError) throw e;
        throw new ImageError(r.canonical, (e as Error).message);
      }
    });
  }

  private async pull(r: ImageRef, credentials?: RegistryCredentials): Promise<Descriptor> {
    const t0 = performance.now();
    const layoutDir = await mkdtemp(join(this.tmpDir, "pull-"));
    try {
      const skopeo = this.opts.skopeo ?? "skopeo";
      const timeoutMs = this.opts.pullTimeoutMs ?? 10 * 60_000;
      const fetched = await withSource(
        { ref: r, skopeo, timeoutMs, tmpDir: this.tmpDir, credentials },
        async (src) => {
          // Two images that share a layer, pulled at once: the second waits for the first to store
          // the shared blob, then skopeo finds it and skips it. Locks only the blobs still missing.
          const missing = (await layerDigests(src)).filter((d) => !existsSync(this.layout.blobPath(d)));
          return this.blobLock.runAll(missing, async () => {
            const stillMissing = missing.filter((d) => !existsSync(this.layout.blobPath(d)));
            await copyImage(src, { layoutDir, blobsDir: this.layout.blobs });
            return stillMissing;
          });
        },
      );
      const index = JSON.parse(await readFile(join(layoutDir, "index.json"), "utf8")) as {
        manifests: Descriptor[];
      };
      const desc = index.manifests[0];
      if (!desc) throw new Error("skopeo wrote no manifest");
      const { annotations: _, ...plain } = desc;
      await this.indexLock.run("index", () => this.layout.tag(r.canonical, plain));
      this.opts.onEvent?.({
        type: "pull",
        ref: r.canonical,
        digest: desc.digest,
        ms: performance.now() - t0,
        fetched,
      });
      return plain;
    } finally {
      await rm(layoutDir, { recursive: true, force: true });
    }
  }

  private async materialize(r: ImageRef, desc: Descriptor): Promise<PulledImage> {
    if (INDEX_MEDIA.test(desc.mediaType)) throw new Error(`${desc.mediaType} is an index, not an image`);
    const manifest = await this.layout.readJson<Manifest>(desc.digest);
    if (kindOf(manifest) === "unikernel") throw new Error(notAnImage);
    const config = await this.layout.readJson<OciConfig>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length)
      throw new Error(
        `the manifest has ${manifest.layers.length} layers, the config ${diffIds.length} diff ids`,
      );
    // allSettled: when one layer fails, the others still finish (or clean up) before ensure
    // returns, so no unpack goes on behind the caller's back.
    const settled = await Promise.allSettled(
      manifest.layers.map((layer, i) => {
        const diffId = diffIds[i] as string;
        return this.layerLock.run(diffId, async () => {
          const t0 = performance.now();
          // Checked before it becomes a path: the config comes from the registry, not from us.
          const dir = join(this.layersDir, layerDirName(diffId));
          if (existsSync(dir)) return dir;
          await unpackLayer({
            blob: this.layout.blobPath(layer.digest),
            mediaType: layer.mediaType,
            diffId,
            layersDir: this.layersDir,
          });
          this.opts.onEvent?.({ type: "unpack", ref: r.canonical, diffId, ms: performance.now() - t0 });
          return dir;
        });
      }),
    );
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const layers = settled.map((s) => (s as PromiseFulfilledResult<string>).value);
    return { digest: desc.digest, config: imageConfig(config), layers };
  }

  async mountInstance(
    instanceId: string,
    ref: string,
    opts: { credentials?: RegistryCredentials } = {},
  ): Promise<InstanceRootfs> {
    const dir = this.instanceDir(instanceId);
    const r = parseRef(ref);
    await this.init();
    return this.instanceLock.run(instanceId, () =>
      this.gcLock.shared(async () => {
        const merged = join(dir, "merged");
        const record = join(dir, "image.json");
        if ((await isMountPoint(merged)) && existsSync(record)) {
          return { rootfs: merged, image: JSON.parse(await readFile(record, "utf8")) as PulledImage };
        }
        const image = await this.ensureHeld(r, opts.credentials);
        // Recorded before the mount: garbage collection keeps the layers of every recorded instance.
        await mkdir(dir, { recursive: true });
        await writeFile(record, JSON.stringify(image));
        await mountInstanceOverlay({ storeDir: this.opts.dataDir, instanceDir: dir, layers: image.layers });
        this.opts.onEvent?.({ type: "mount", instanceId, ref: r.canonical });
        return { rootfs: merged, image };
      }),
    );
  }

  async unmountInstance(instanceId: string, opts: { remove: boolean }): Promise<void> {
    const dir = this.instanceDir(instanceId);
    await this.instanceLock.run(instanceId, async () => {
      const merged = join(dir, "merged");
      if (await isMountPoint(merged)) await unmount(merged);
      if (opts.remove) await rm(dir, { recursive: true, force: true });
    });
  }

  /** Drops a reference from the index; its blobs and layers go at the next collectGarbage. */
  async forget(ref: string): Promise<void> {
    const r = parseRef(ref);
    await this.init();
    await this.gcLock.shared(() =>
      this.refLock.run(r.canonical, async () => {
        await this.indexLock.run("index", () => this.layout.untag(r.canonical));
        await this.lastUsed.drop([r.canonical]);
      }),
    );
  }

  /**
   * Deletes the blobs no reference in the index needs, and the layer directories that neither
   * an indexed image nor a recorded instance (mounted or kept) uses. Runs alone: pulls and
   * mounts wait for it, and it waits for those in progress.
   */
  async collectGarbage(): Promise<GarbageReport> {
    await this.init();
    return this.gcLock.alone(() =>
      collectGarbage({ layout: this.layout, layersDir: this.layersDir, instancesDir: this.instancesDir }),
    );
  }

  /**
   * The disk sweep's part in the store (./sweep.ts): drops the references no live instance uses
   * and nobody asked for within the policy's unused age (then, while the disk is short, the least
   * recently used of the rest down to the grace age), and collects what only they needed.
   */
  async sweep(policy: ImageSweep): Promise<ImageSweepReport> {
    await this.init();
    return sweepImages(policy, {
      layout: this.layout,
      lastUsed: this.lastUsed,
      alone: (task) => this.gcLock.alone(task),
      untag: (ref) => this.indexLock.run("index", () => this.layout.untag(ref)),
      collect: (keep) =>
        collectGarbage({
          layout: this.layout,
          layersDir: this.layersDir,
          instancesDir: this.instancesDir,
          keep,
        }),
    });
  }

  /** The instance's directory (upper, work, merged); the id becomes a path, so it is checked. */
  instanceDir(instanceId: string): string {
    if (!INSTANCE_ID.test(instanceId) || instanceId.includes(".."))
      throw new Error(`invalid instance id ${JSON.stringify(instanceId)}`);
    return join(this.instancesDir, instanceId);
  }
}
