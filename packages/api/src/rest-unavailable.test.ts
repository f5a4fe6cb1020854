// A regression found by the fault tests (apps/worker/src/faults): authentication reads Postgres
// before any procedure's error mapping runs, so a lost database answered 500 without Retry-After.
import { createDb } from "@berth/db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { handleRest } from "./rest";
import { callerFor, createHarness, type Harness, makeTenant, restRequest, signUp } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("answers an authenticated REST call with 503 and Retry-After while Postgres is away", async () => {
  const owner = await signUp(h, "Owner2");
  const t = await makeTenant(h, owner, "down");
  const { token } = await callerFor(h, owner.actor).tokens.create({ tenantId: t.id, name: "ci" });
  // "away" is a closed port: stopping the shared Postgres would break the tests beside this one
  const db = createDb("postgresql://postgres@127.0.0.1:1/none");
  try {
    const res = await handleRest({ ...h.deps, db }, restRequest(`/tenants/${t.id}/deployments`, { token }));
    expect([res.status, res.headers.get("retry-after")]).toEqual([503, "5"]);
    expect(await res.json()).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  } finally {
    await db.$disconnect();
  }
});
