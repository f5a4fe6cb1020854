// The store's one OCI image layout: oci-layout, index.json (one entry per pulled reference,
// named by the org.opencontainers.image.ref.name annotation) and blobs/sha256 shared by all.
// skopeo, umoci and `skopeo inspect oci:DIR:REF` read it as they read any layout.
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ImageConfig } from "./types";

export const REF_NAME = "org.opencontainers.image.ref.name";

export type Descriptor = {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
};
type Index = { schemaVersion: 2; manifests: Descriptor[] };

export type Manifest = {
  config: Descriptor;
  layers: Descriptor[];
  mediaType?: string;
  artifactType?: string;
};

export type OciConfig = {
  config?: {
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, unknown>;
  };
  rootfs: { type: string; diff_ids: string[] };
};

export class Layout {
  readonly blobs: string;
  private readonly index: string;

  constructor(readonly dir: string) {
    this.blobs = join(dir, "blobs");
    this.index = join(dir, "index.json");
  }

  async init(): Promise<void> {
    await mkdir(join(this.blobs, "sha256"), { recursive: true });
    if (!existsSync(join(this.dir, "oci-layout")))
      await writeFile(join(this.dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    if (!existsSync(this.index)) await this.writeIndex({ schemaVersion: 2, manifests: [] });
  }

  blobPath(digest: string): string {
    const [alg, hex] = digest.split(":");
    if (alg !== "sha256" || !hex || !/^[a-f0-9]{64}$/.test(hex))
      throw new Error(`unsupported digest ${digest}`);
    return join(this.blobs, alg, hex);
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse(await readFile(this.blobPath(digest), "utf8")) as T;
  }

  async lookup(refName: string): Promise<Descriptor | undefined> {
    const index = JSON.parse(await readFile(this.index, "utf8")) as Index;
    return index.manifests.find((m) => m.annotations?.[REF_NAME] === refName);
  }

  /** Points refName at the descriptor. Callers serialize calls (the store's "index" lock). */
  async tag(refName: string, desc: Descriptor): Promise<void> {
    const index = JSON.parse(await readFile(this.index, "utf8")) as Index;
    index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== refName);
    index.manifests.push({ ...desc, annotations: { ...desc.annotations, [REF_NAME]: refName } });
    await this.writeIndex(index);
  }

  /** Removes refName from the index (the store's "index" lock too); unknown names are fine. */
  async untag(refName: string): Promise<void> {
    const index = JSON.parse(await readFile(this.index, "utf8")) as Index;
    const kept = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== refName);
    if (kept.length !== index.manifests.length) await this.writeIndex({ ...index, manifests: kept });
  }

  async descriptors(): Promise<Descriptor[]> {
    return (JSON.parse(await readFile(this.index, "utf8")) as Index).manifests;
  }

  private async writeIndex(index: Index): Promise<void> {
    // Rename over the old file: a crash leaves the old index or the new one, never half of one.
    const tmp = `${this.index}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(index));
    await rename(tmp, this.index);
  }
}

/** The parts of an image config the drivers need, with the spec's defaults for absent fields. */
export function imageConfig(c: OciConfig): ImageConfig {
  const cfg = c.config ?? {};
  return {
    env: cfg.Env ?? [],
    entrypoint: cfg.Entrypoint ?? [],
    cmd: cfg.Cmd ?? [],
    workingDir: cfg.WorkingDir ?? "",
    user: cfg.User ?? "",
    exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
  };
}
