// For tests: the library OS's boot-test image (native/unikernel: no network, checks its heap and
// clock, then halts; `boot-test.overflow` makes it overflow its stack) packaged as unikernel
// artifacts in the local registry, the way docs/unikernel.md describes for third parties.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  UNIKERNEL_CONFIG_MEDIA_TYPE,
  UNIKERNEL_KERNEL_MEDIA_TYPE,
  unikernelAnnotations,
} from "../../images/artifact";
import { REGISTRY } from "../../images/testing";
import { unikernelDir } from "./bootkit";

async function blob(layout: string, mediaType: string, data: Buffer) {
  const hex = createHash("sha256").update(data).digest("hex");
  await writeFile(join(layout, "blobs/sha256", hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

/** Pushes one kernel as `ref` with the given default command line; returns ref. */
export async function pushKernelArtifact(
  ref: string,
  kernel: string,
  cmdline: string,
  format: "pvh-elf" | "multiboot" = "pvh-elf",
): Promise<string> {
  const layout = await mkdtemp(join(tmpdir(), "berth-uk-artifact-"));
  try {
    await mkdir(join(layout, "blobs/sha256"), { recursive: true });
    const info = { format, cmdline, ports: [], memoryMiB: 32 };
    const config = await blob(layout, UNIKERNEL_CONFIG_MEDIA_TYPE, Buffer.from(JSON.stringify(info)));
    const layer = await blob(layout, UNIKERNEL_KERNEL_MEDIA_TYPE, await readFile(kernel));
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config,
      layers: [layer],
      annotations: {
        [unikernelAnnotations.format]: format,
        [unikernelAnnotations.cmdline]: cmdline,
        [unikernelAnnotations.memory]: "32",
      },
    };
    const m = await blob(layout, manifest.mediaType, Buffer.from(JSON.stringify(manifest)));
    await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    const index = {
      schemaVersion: 2,
      manifests: [{ ...m, annotations: { "org.opencontainers.image.ref.name": "t" } }],
    };
    await writeFile(join(layout, "index.json"), JSON.stringify(index));
    execFileSync(
      "skopeo",
      ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:t`, `docker://${ref}`],
      {
        stdio: "pipe",
      },
    );
    return ref;
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}

/** `<base>-halt` (halts with code 0) and `<base>-crash` (a stack overflow); returns the base. */
export async function pushBootTestArtifact(): Promise<string> {
  execFileSync("make", ["-s", "-C", unikernelDir, "build/boot-test.elf"], { stdio: "pipe" });
  const kernel = join(unikernelDir, "build/boot-test.elf");
  const base = `${REGISTRY}/berth-test/boot-test-unikernel:boot`;
  await pushKernelArtifact(`${base}-halt`, kernel, "boot-test");
  await pushKernelArtifact(`${base}-crash`, kernel, "boot-test boot-test.overflow");
  return base;
}

/** A minimal multiboot kernel (testdata/multiboot.S, gcc -m32) as `<REGISTRY>/berth-test/multiboot-unikernel:t`. */
export async function pushMultibootArtifact(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-uk-mb-"));
  try {
    const here = new URL("./testdata/", import.meta.url).pathname;
    const elf = join(dir, "mb.elf");
    execFileSync("gcc", [
      ...["-m32", "-nostdlib", "-static", "-no-pie", `-Wl,-T,${join(here, "multiboot.ld")}`],
      ...["-Wl,--build-id=none", "-o", elf, join(here, "multiboot.S")],
    ]);
    return await pushKernelArtifact(`${REGISTRY}/berth-test/multiboot-unikernel:t`, elf, "", "multiboot");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
