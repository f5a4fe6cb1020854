import { expect, it } from "vitest";
import { readEvents } from "./sse";

it("splits a stream into events across chunk boundaries and skips comments", async () => {
  const chunks = ['event: deployment\ndata: {"a"', ":1}\n\n: keepalive\n\nevent: end\nda", "ta: {}\n\n"];
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks) c.enqueue(new TextEncoder().encode(x));
      c.close();
    },
  });
  const seen = [];
  for await (const e of readEvents(body)) seen.push(e);
  expect(seen).toEqual([
    { event: "deployment", data: '{"a":1}' },
    { event: "end", data: "{}" },
  ]);
});
