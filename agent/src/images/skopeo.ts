// Pulls with skopeo into a temporary OCI layout whose blobs go to the store's shared blob
// directory: a blob already there (a layer of another image) is reused, not downloaded again.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ImageError } from "./errors";
import { exec } from "./exec";
import { type ImageRef, isLoopbackRegistry } from "./ref";
import type { RegistryCredentials } from "./types";

export type PullOptions = {
  ref: ImageRef;
  /** Where the temporary layout goes (index.json only; removed by the caller). */
  layoutDir: string;
  blobsDir: string;
  tmpDir: string;
  credentials?: RegistryCredentials;
  skopeo: string;
  timeoutMs: number;
};

export async function skopeoPull(o: PullOptions): Promise<void> {
  const args = ["copy", "--quiet", "--dest-shared-blob-dir", o.blobsDir];
  if (isLoopbackRegistry(o.ref.domain)) args.push("--src-tls-verify=false");
  // Credentials go through an auth file (mode 0600, deleted after), never argv: the command line
  // of every process is readable by every user of the host.
  let authFile: string | null = null;
  if (o.credentials) {
    authFile = join(o.tmpDir, `auth-${randomBytes(8).toString("hex")}.json`);
    const auth = Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString("base64");
    await writeFile(authFile, JSON.stringify({ auths: { [o.ref.domain]: { auth } } }), { mode: 0o600 });
    args.push("--src-authfile", authFile);
  } else {
    // Without this skopeo would read root's ~/.docker or containers auth files: only the tenant's
    // own credentials may open a registry on its behalf.
    args.push("--src-no-creds");
  }
  args.push(`docker://${o.ref.canonical}`, `oci:${o.layoutDir}`);
  try {
    const r = await exec(o.skopeo, args, { timeoutMs: o.timeoutMs });
    if (r.code !== 0) throw new ImageError(o.ref.canonical, `pull failed: ${skopeoMessage(r.stderr)}`);
  } finally {
    if (authFile) await rm(authFile, { force: true });
  }
}

/** skopeo logs `level=fatal msg="..."`; the message alone is what a user needs. */
function skopeoMessage(stderr: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  const text = m?.[1] ? m[1].replace(/\\"/g, '"') : stderr.trim().split("\n").slice(-2).join(" / ");
  return text || "skopeo exited without a message";
}
