// The deploy form's image suggestions: the real local registry's catalogue (the examples pushed by
// setup and `npm run unikernel:build`) with each image's kind read from its manifest, plus one
// entry per registry the tenant stored credentials for, which says why when it offers nothing.
import type { RegistryCatalog } from "@berth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
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

let h: Harness;
let alice: TestUser;
let tenantId = "";
let token = "";

beforeAll(async () => {
  h = await createHarness();
  alice = await signUp(h, "Alice");
  tenantId = (await makeTenant(h, alice, "catalog")).id;
  token = (await callerFor(h, alice.actor).tokens.create({ tenantId, name: "ci", scopes: ["read", "write"] }))
    .token;
});
afterAll(() => h?.close());

describe("registries.catalog", () => {
  it("lists the platform registry's images with their kind", async () => {
    const [platform, ...rest] = await callerFor(h, alice.actor).registries.catalog({ tenantId });
    expect(rest).toEqual([]);
    expect(platform?.registry).toBe(REGISTRY);
    expect(platform?.error).toBeNull();
    const kinds = new Map(platform?.images.map((i) => [i.image, i.kind]));
    expect(kinds.get(`${REGISTRY}/examples/hello:latest`)).toBe("image");
    expect(kinds.get(`${REGISTRY}/examples/hello-unikernel:latest`)).toBe("unikernel");
    expect(kinds.get(`${REGISTRY}/examples/kv-unikernel:latest`)).toBe("unikernel");
  });

  it("adds each registry the tenant has credentials for, saying why one offers nothing", async () => {
    const caller = callerFor(h, alice.actor);
    await caller.registries.set({ tenantId, registry: "127.0.0.1:1", username: "u", password: "p" });
    const res = await handleRest(h.deps, restRequest(`/tenants/${tenantId}/registries/catalog`, { token }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as RegistryCatalog[];
    expect(body.map((c) => c.registry)).toEqual([REGISTRY, "127.0.0.1:1"]);
    expect(body[0]?.images.length).toBeGreaterThan(0);
    expect(body[1]?.images).toEqual([]);
    expect(body[1]?.error).toMatch(/^127\.0\.0\.1:1: /);
    // the password never appears in the answer
    expect(JSON.stringify(body)).not.toContain('"p"');
  });

  it("is refused to those outside the tenant", async () => {
    const mallory = await signUp(h, "Mallory");
    await expect(callerFor(h, mallory.actor).registries.catalog({ tenantId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
