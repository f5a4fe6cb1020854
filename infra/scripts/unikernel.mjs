// Packaging of the example unikernels (native/unikernel) as OCI artifacts in the local registry:
// one manifest per image whose config names a unikernel and whose single layer is the kernel
// itself (a PVH ELF). The format is documented in docs/unikernel.md, so anyone can package their
// own. Run by `npm run unikernel:build` and by setup after the example container images; it checks
// before it acts: an image whose pushed source hash matches is not rebuilt.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fail, hashPaths, root, run, stateDir, step } from "./lib.mjs";

export const REGISTRY = "127.0.0.1:5000";

// The format (docs/unikernel.md). Kept in step with agent/src/images/artifact.ts.
export const ARTIFACT_TYPE = "application/vnd.berth.unikernel.v1";
export const CONFIG_MEDIA_TYPE = "application/vnd.berth.unikernel.config.v1+json";
export const KERNEL_MEDIA_TYPE = "application/vnd.berth.unikernel.kernel.v1+elf";
export const ANNOTATIONS = {
  format: "org.berth.unikernel.format",
  cmdline: "org.berth.unikernel.cmdline",
  ports: "org.berth.unikernel.ports",
  memory: "org.berth.unikernel.memory-mib",
};
const SOURCE = "org.berth.source-hash";

/** The examples: each is the library OS linked with one app (native/unikernel/apps). */
const EXAMPLES = {
  "hello-unikernel": {
    kernel: "native/unikernel/build/hello-unikernel.elf",
    description:
      "An HTTP server on port 8080 answering with a page that counts requests and shows the env's GREETING",
  },
  "kv-unikernel": {
    kernel: "native/unikernel/build/kv-unikernel.elf",
    description: "A key-value store over HTTP on port 8080: PUT/GET/DELETE /kv/<key>, GET /kv",
  },
};

const ACCEPT =
  "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json";

function sourceHash() {
  const skip = (rel) => rel.startsWith("native/unikernel/build") || rel.startsWith("native/unikernel/test");
  return hashPaths(["native/unikernel", "infra/scripts/unikernel.mjs"], skip).slice(0, 32);
}

/** The pushed manifest's source hash annotation, or null when the image is missing. */
async function pushedHash(name) {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/examples/${name}/manifests/latest`, {
      headers: { accept: ACCEPT },
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 200) return null;
    return (await res.json()).annotations?.[SOURCE] ?? null;
  } catch {
    return null;
  }
}

const sha256 = (buf) => `sha256:${createHash("sha256").update(buf).digest("hex")}`;

/** Writes one blob into an OCI layout and returns its descriptor. */
function blob(layout, mediaType, data, extra = {}) {
  const digest = sha256(data);
  writeFileSync(path.join(layout, "blobs/sha256", digest.slice(7)), data);
  return { mediaType, digest, size: data.length, ...extra };
}

/**
 * The artifact of one kernel as an OCI image layout holding one manifest: a plain OCI image
 * manifest (what distribution 2.8 stores) with a config of our media type and the ELF as its
 * only layer. The manifest's annotations are what the agent reads; the config repeats them.
 */
export function writeArtifact(layout, o) {
  mkdirSync(path.join(layout, "blobs/sha256"), { recursive: true });
  const info = { format: o.format, cmdline: o.cmdline, ports: o.ports, memoryMiB: o.memoryMiB };
  const config = blob(layout, CONFIG_MEDIA_TYPE, Buffer.from(JSON.stringify(info)));
  const kernel = blob(layout, KERNEL_MEDIA_TYPE, readFileSync(o.kernel), {
    annotations: { "org.opencontainers.image.title": path.basename(o.kernel) },
  });
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: ARTIFACT_TYPE,
    config,
    layers: [kernel],
    annotations: {
      [ANNOTATIONS.format]: o.format,
      [ANNOTATIONS.cmdline]: o.cmdline,
      [ANNOTATIONS.ports]: o.ports.join(","),
      [ANNOTATIONS.memory]: String(o.memoryMiB),
      "org.opencontainers.image.description": o.description,
      ...(o.hash ? { [SOURCE]: o.hash } : {}),
    },
  };
  const m = blob(layout, manifest.mediaType, Buffer.from(JSON.stringify(manifest)), {
    annotations: { "org.opencontainers.image.ref.name": "latest" },
  });
  writeFileSync(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(path.join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [m] }));
  return m.digest;
}

/** Builds the kernels and pushes each artifact whose source changed; returns a summary line. */
export async function ensureUnikernelImages({ force = false } = {}) {
  const hash = sourceHash();
  const names = Object.keys(EXAMPLES);
  const pushed = await Promise.all(names.map(pushedHash));
  const stale = names.filter((_, i) => force || pushed[i] !== hash);
  if (stale.length === 0) return `${names.join(", ")} up to date`;
  await run("make", ["-s", "-C", "native/unikernel", "all"]);
  const dir = path.join(stateDir, `build/unikernel-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    for (const name of stale) {
      const spec = EXAMPLES[name];
      const layout = path.join(dir, name);
      writeArtifact(layout, {
        kernel: path.join(root, spec.kernel),
        format: "pvh-elf",
        // The library OS needs nothing but its network (the agent appends netdev.ip=...).
        cmdline: "",
        ports: ["8080/tcp"],
        memoryMiB: 32,
        description: spec.description,
        hash,
      });
      await run(
        "skopeo",
        [
          "copy",
          "--quiet",
          "--dest-tls-verify=false",
          `oci:${layout}:latest`,
          `docker://${REGISTRY}/examples/${name}:latest`,
        ],
        { stdio: ["ignore", "ignore", "inherit"] },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return `built and pushed ${stale.map((n) => `${REGISTRY}/examples/${n}:latest`).join(", ")}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const force = process.argv.includes("--force");
  step("unikernel images", () => ensureUnikernelImages({ force })).catch(fail);
}
