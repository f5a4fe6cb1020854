// skopeo against a registry: the layer digests of an image (so the store can lock the blobs a
// pull will write), and the copy into a temporary OCI layout whose blobs go to the store's shared
// blob directory, where a blob already present (a layer of another image) is not fetched again.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ImageError } from "./errors";
import { exec } from "./exec";
import { type ImageRef, isLoopbackRegistry } from "./ref";
import type { RegistryCredentials } from "./types";

export type Source = { ref: ImageRef; skopeo: string; timeoutMs: number; authFile: string | null };

/**
 * Runs `fn` with the credentials in an auth file (mode 0600, deleted after), never in argv: the
 * command line of every process is readable by every user of the host.
 */
export async function withSource<T>(
  o: { ref: ImageRef; skopeo: string; timeoutMs: number; tmpDir: string; credentials?: RegistryCredentials },
  fn: (source: Source) => Promise<T>,
): Promise<T> {
  let authFile: string | null = null;
  try {
    if (o.credentials) {
      authFile = join(o.tmpDir, `auth-${randomBytes(8).toString("hex")}.json`);
      const auth = Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString("base64");
      await writeFile(authFile, JSON.stringify({ auths: { [o.ref.domain]: { auth } } }), { mode: 0o600 });
    }
    return await fn({ ref: o.ref, skopeo: o.skopeo, timeoutMs: o.timeoutMs, authFile });
  } finally {
    if (authFile) await rm(authFile, { force: true });
  }
}

/** TLS and credential flags; `src-` for copy, none for inspect. */
function access(s: Source, prefix: "src-" | ""): string[] {
  const flags = isLoopbackRegistry(s.ref.domain) ? [`--${prefix}tls-verify=false`] : [];
  // Without credentials, anonymous: root's own ~/.docker or containers auth files must never
  // open a registry on a tenant's behalf.
  flags.push(...(s.authFile ? [`--${prefix}authfile`, s.authFile] : [`--${prefix}no-creds`]));
  return flags;
}

async function skopeo(s: Source, args: string[]): Promise<string> {
  const r = await exec(s.skopeo, args, { timeoutMs: s.timeoutMs });
  if (r.code !== 0) throw new ImageError(s.ref.canonical, `pull failed: ${skopeoMessage(r.stderr)}`);
  return r.stdout;
}

const GO_ARCH: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  s390x: "s390x",
};

type RawManifest = {
  mediaType?: string;
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
  layers?: { digest: string }[];
};

/** The digests of the layers skopeo will copy: from an index, those of this host's platform. */
export async function layerDigests(s: Source): Promise<string[]> {
  const inspect = async (ref: string) =>
    JSON.parse(await skopeo(s, ["inspect", "--raw", ...access(s, ""), `docker://${ref}`])) as RawManifest;
  let manifest = await inspect(s.ref.canonical);
  if (manifest.manifests) {
    const arch = GO_ARCH[process.arch] ?? process.arch;
    const mine = manifest.manifests.find(
      (m) => m.platform?.os === "linux" && m.platform.architecture === arch,
    );
    if (!mine) throw new ImageError(s.ref.canonical, `the image index has no linux/${arch} image`);
    manifest = await inspect(`${s.ref.domain}/${s.ref.path}@${mine.digest}`);
  }
  return (manifest.layers ?? []).map((l) => l.digest);
}

export async function copyImage(s: Source, o: { layoutDir: string; blobsDir: string }): Promise<void> {
  await skopeo(s, [
    "copy",
    "--quiet",
    "--dest-shared-blob-dir",
    o.blobsDir,
    ...access(s, "src-"),
    `docker://${s.ref.canonical}`,
    `oci:${o.layoutDir}`,
  ]);
}

/** skopeo logs `level=fatal msg="..."`; the message alone is what a user needs. */
function skopeoMessage(stderr: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  const text = m?.[1] ? m[1].replace(/\\"/g, '"') : stderr.trim().split("\n").slice(-2).join(" / ");
  return text || "skopeo exited without a message";
}
