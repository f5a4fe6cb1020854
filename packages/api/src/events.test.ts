import { afterAll, beforeAll, expect, it } from "vitest";
import { deploymentEvents } from "./events";
import { callerFor, createHarness, type Harness, makeTenant, restRequest, signUp } from "./testing";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h?.close());

it("streams a deployment's state changes, and refuses other tenants", async () => {
  const owner = await signUp(h, "Owner");
  const t = await makeTenant(h, owner, "sse");
  const d = await callerFor(h, owner.actor).deployments.create({
    tenantId: t.id,
    name: "web",
    image: "busybox",
  });
  const ref = { tenantId: t.id, deploymentId: d.id };
  const abort = new AbortController();
  const req = new Request(restRequest("/x", { cookie: owner.cookie }), { signal: abort.signal });
  const res = await deploymentEvents(h.deps, req, ref);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const nextEvent = async () => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const chunk = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (chunk.startsWith(":")) continue;
        return JSON.parse(chunk.split("\n")[1]?.slice("data: ".length) ?? "null");
      }
      const { value } = await reader.read();
      buffer += decoder.decode(value);
    }
  };
  expect((await nextEvent()).instances[0].state).toBe("pending");
  await h.deps.db.instance.updateMany({ where: { deploymentId: d.id }, data: { state: "scheduled" } });
  expect((await nextEvent()).instances[0].state).toBe("scheduled");
  abort.abort();

  const stranger = await signUp(h, "Stranger");
  await makeTenant(h, stranger, "other");
  const denied = await deploymentEvents(h.deps, restRequest("/x", { cookie: stranger.cookie }), ref);
  expect(denied.status).toBe(404);
});
