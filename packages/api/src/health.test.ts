import { createDb } from "@berth/db";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { healthResponse } from "./health";
import { createHarness, type Harness } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("answers 200 with both services up", async () => {
  const res = await healthResponse(h.deps);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok", postgres: { ok: true }, redis: { ok: true } });
});

// "Down" here is a server that does not answer: a closed port on loopback. Stopping the shared
// Postgres or Redis would break every other test running beside this one.
it("answers 503 with Retry-After naming Redis when Redis is down", async () => {
  const redis = new Redis("redis://127.0.0.1:1", {
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    lazyConnect: true,
  });
  redis.on("error", () => {});
  try {
    const res = await healthResponse({ db: h.deps.db, redis });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toMatchObject({
      status: "unavailable",
      postgres: { ok: true },
      redis: { ok: false },
    });
  } finally {
    redis.disconnect();
  }
});

it("answers 503 naming Postgres when Postgres is down", async () => {
  const db = createDb("postgresql://postgres@127.0.0.1:1/none");
  try {
    const res = await healthResponse({ db, redis: h.deps.redis });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: "unavailable",
      postgres: { ok: false },
      redis: { ok: true },
    });
  } finally {
    await db.$disconnect();
  }
});
