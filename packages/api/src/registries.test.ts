// Registry credentials: stored sealed (the password is nowhere in the database), never shown,
// handed only with an instance of the tenant whose image comes from that registry, to its host.
import { registryOf } from "@berth/contracts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deriveKey, open, seal } from "./crypto";
import { handleRest } from "./rest";
import { instanceSpec } from "./services/agents";
import { reserve } from "./services/capacity";
import {
  callerFor,
  createHarness,
  fingerprint,
  type Harness,
  makeTenant,
  restRequest,
  signUp,
} from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("seals with the row as additional data: another row's sealed value does not open", () => {
  const key = deriveKey("a secret of the deployment", "registry-credentials");
  const sealed = seal(key, "hunter2", "registry-credential:tenant-a:ghcr.io");
  expect(sealed).not.toContain("hunter2");
  expect(open(key, sealed, "registry-credential:tenant-a:ghcr.io")).toBe("hunter2");
  expect(() => open(key, sealed, "registry-credential:tenant-b:ghcr.io")).toThrow();
  expect(() =>
    open(deriveKey("another secret", "registry-credentials"), sealed, "registry-credential:tenant-a:ghcr.io"),
  ).toThrow();
});

it("names the registry of an image the way Docker does", () => {
  expect(registryOf("127.0.0.1:5000/examples/hello:latest")).toBe("127.0.0.1:5000");
  expect(registryOf(`ghcr.io/acme/api@sha256:${"a".repeat(64)}`)).toBe("ghcr.io");
  expect(registryOf("localhost/x")).toBe("localhost");
  expect(registryOf("busybox")).toBe("docker.io");
  expect(registryOf("library/busybox")).toBe("docker.io");
});

it("stores, lists without the password, replaces, hands to the instance's host only, and deletes", async () => {
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "regs");
  const c = callerFor(h, owner.actor);
  const set = await c.registries.set({
    tenantId: t.id,
    registry: "Registry.Example:5000",
    username: "ci",
    password: "pw-1",
  });
  expect(set).toMatchObject({ registry: "registry.example:5000", username: "ci" });
  expect(JSON.stringify(await c.registries.list({ tenantId: t.id }))).not.toContain("pw-1");
  const rows = await h.deps.db.$queryRawUnsafe<unknown[]>(`SELECT * FROM registry_credential`);
  expect(JSON.stringify(rows)).not.toContain("pw-1");
  await c.registries.set({
    tenantId: t.id,
    registry: "registry.example:5000",
    username: "ci2",
    password: "pw-2",
  });
  expect(await c.registries.list({ tenantId: t.id })).toMatchObject([
    { registry: "registry.example:5000", username: "ci2" },
  ]);

  // an instance of an image from that registry carries the credentials; one from elsewhere does not
  const host = await h.deps.db.host.create({
    data: {
      name: "reg-host",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 10,
    },
  });
  const specFor = async (name: string, image: string) => {
    const d = await c.deployments.create({ tenantId: t.id, name, image });
    const id = d.instances[0]?.id ?? "";
    expect(await reserve(h.deps.db, host.id, id, 500, 264)).toBe(true);
    return instanceSpec(h.deps.db, host.id, id, h.deps.credentialKey);
  };
  expect((await specFor("private", "registry.example:5000/acme/api:1")).registryAuth).toEqual({
    username: "ci2",
    password: "pw-2",
  });
  expect((await specFor("public", "busybox")).registryAuth).toBeUndefined();
  // another host asking for that instance learns nothing
  const other = await h.deps.db.host.create({
    data: {
      name: "other-host",
      address: "127.0.0.1",
      isolationLevels: ["container"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 10,
    },
  });
  const priv = await h.deps.db.instance.findFirstOrThrow({ where: { deployment: { name: "private" } } });
  await expect(instanceSpec(h.deps.db, other.id, priv.id, h.deps.credentialKey)).rejects.toThrow(/not found/);

  await c.registries.delete({ tenantId: t.id, registry: "registry.example:5000" });
  expect(await c.registries.list({ tenantId: t.id })).toEqual([]);
  await expect(c.registries.delete({ tenantId: t.id, registry: "registry.example:5000" })).rejects.toThrow(
    /not found/,
  );
});

it("refuses bad input with a 400 naming the field, changing nothing", async () => {
  const owner = await signUp(h, "Owner2");
  const t = await makeTenant(h, owner, "regs-bad");
  const before = await fingerprint(h.deps.db);
  for (const [body, field] of [
    [{ registry: "no spaces allowed", username: "u", password: "p" }, "registry"],
    [{ registry: "ghcr.io", username: "", password: "p" }, "username"],
    [{ registry: "ghcr.io", username: "u" }, "password"],
  ] as const) {
    const res = await handleRest(
      h.deps,
      restRequest(`/tenants/${t.id}/registries`, { method: "POST", cookie: owner.cookie, body }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(field);
  }
  expect(await fingerprint(h.deps.db)).toBe(before);
});
