// The kind of image a level takes, checked at create and update against the image's manifest in
// the real local registry (the unikernel artifacts pushed by `npm run unikernel:build`, the
// container examples by setup), over REST with real Postgres: the wrong kind is a 400 naming
// `image`; a registry that does not answer lets the deploy through (the agent refuses it clearly).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
import { lookupImageKind, manifestUrlOf } from "./services/image-kind";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
  type TestUser,
} from "./testing";

const REGISTRY = "127.0.0.1:5000";
const HELLO = `${REGISTRY}/examples/hello:latest`;
const HELLO_UK = `${REGISTRY}/examples/hello-unikernel:latest`;

let h: Harness;
let alice: TestUser;
let tenantId = "";
let token = "";

beforeAll(async () => {
  for (const name of ["hello", "hello-unikernel"]) {
    const res = await fetch(`http://${REGISTRY}/v2/examples/${name}/manifests/latest`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    }).catch(() => null);
    if (res?.status !== 200)
      throw new Error(`${REGISTRY}/examples/${name} is missing: npm run setup (or npm run unikernel:build)`);
  }
  h = await createHarness();
  alice = await signUp(h, "Alice");
  const t = await makeTenant(h, alice, "kinds");
  tenantId = t.id;
  await h.deps.db.tenant.update({
    where: { id: t.id },
    data: { allowedIsolation: ["container", "microvm", "unikernel"] },
  });
  token = (await callerFor(h, alice.actor).tokens.create({ tenantId, name: "ci", scopes: ["read", "write"] }))
    .token;
});
afterAll(() => h?.close());

let n = 0;
async function deploy(image: string, isolation: string) {
  const res = await handleRest(
    h.deps,
    restRequest(`/tenants/${tenantId}/deployments`, {
      method: "POST",
      token,
      body: { name: `d${n++}`, image, isolation, ports: [{ port: 8080 }] },
    }),
  );
  return { status: res.status, body: (await res.json()) as { message?: string; id?: string } };
}

describe("the image's kind at each level", () => {
  it("reads the kind from the registry: the artifact, the container image, nothing from a dead registry", async () => {
    expect(await lookupImageKind(HELLO_UK)).toEqual({ kind: "unikernel" });
    expect(await lookupImageKind(HELLO)).toEqual({ kind: "image" });
    const t0 = performance.now();
    expect(await lookupImageKind("127.0.0.1:1/nothing/here:latest")).toHaveProperty("unknown");
    expect(performance.now() - t0).toBeLessThan(3500);
    expect(manifestUrlOf("busybox").url).toBe(
      "https://registry-1.docker.io/v2/library/busybox/manifests/latest",
    );
    expect(manifestUrlOf("ghcr.io/a/b@sha256:00").url).toBe("https://ghcr.io/v2/a/b/manifests/sha256:00");
    expect(manifestUrlOf(`${REGISTRY}/examples/x:1`).url).toBe(
      `http://${REGISTRY}/v2/examples/x/manifests/1`,
    );
  });

  it("refuses a unikernel artifact at the container and microvm levels with a 400 naming image", async () => {
    for (const level of ["container", "microvm"]) {
      const r = await deploy(HELLO_UK, level);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.message).toMatch(/^image: .* is a unikernel artifact, not a container image/);
      expect(r.body.message).toContain(level);
    }
  });

  it("refuses an OCI container image at the unikernel level, and takes the artifact there", async () => {
    const wrong = await deploy(HELLO, "unikernel");
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/^image: .* is an OCI container image, not a unikernel artifact/);
    expect((await deploy(HELLO_UK, "unikernel")).status).toBe(200);
    expect((await deploy(HELLO, "container")).status).toBe(200);
  });

  it("lets a deploy through when the registry does not answer (the agent refuses the wrong kind itself)", async () => {
    expect((await deploy("127.0.0.1:1/nothing/here:latest", "unikernel")).status).toBe(200);
    expect((await deploy("127.0.0.1:1/nothing/here:latest", "container")).status).toBe(200);
  });

  it("refuses an update to the wrong kind of image", async () => {
    const created = await deploy(HELLO, "container");
    await expect(
      callerFor(h, alice.actor).deployments.update({
        tenantId,
        deploymentId: created.body.id as string,
        image: HELLO_UK,
      }),
    ).rejects.toThrow(/^image: .* is a unikernel artifact/);
  });

  it("still refuses a level the tenant's policy does not allow, before looking at the image", async () => {
    await h.deps.db.tenant.update({ where: { id: tenantId }, data: { allowedIsolation: ["container"] } });
    const r = await deploy(HELLO_UK, "unikernel");
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^isolation:/);
  });
});
