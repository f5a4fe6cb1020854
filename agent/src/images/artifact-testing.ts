// For tests of the unikernel level: the examples pushed by `npm run unikernel:build` must be there.
import { REGISTRY } from "./testing";

export const HELLO_UNIKERNEL = `${REGISTRY}/examples/hello-unikernel:latest`;
export const KV_UNIKERNEL = `${REGISTRY}/examples/kv-unikernel:latest`;

/** Throws (the tests fail, they do not skip) unless both unikernel artifacts are in the registry. */
export async function requireUnikernelImages(): Promise<void> {
  for (const name of ["hello-unikernel", "kv-unikernel"]) {
    const res = await fetch(`http://${REGISTRY}/v2/examples/${name}/manifests/latest`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    }).catch(() => null);
    if (res?.status !== 200)
      throw new Error(`${REGISTRY}/examples/${name}:latest is missing: run \`npm run unikernel:build\``);
  }
}
