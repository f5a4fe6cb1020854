import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { createClient, describeNetworkError, normalizeBaseUrl } from "./client";

describe("client", () => {
  it("normalizes the base URL and refuses what is not http(s)", () => {
    expect(normalizeBaseUrl("http://127.0.0.1:3000/")).toBe("http://127.0.0.1:3000");
    expect(normalizeBaseUrl("https://berth.example/api/v1/")).toBe("https://berth.example");
    expect(() => normalizeBaseUrl("berth.example")).toThrow(/^--url: /);
    expect(() => normalizeBaseUrl("ftp://x")).toThrow(/^--url: must start with http/);
  });

  it("says plainly when the server cannot be reached", async () => {
    // A port that was just free: nothing listens there.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const client = createClient({ url: `http://127.0.0.1:${port}`, token: "t" });
    await expect(client.request("GET", "/me")).rejects.toThrow(
      `cannot reach http://127.0.0.1:${port}: connection refused`,
    );
    expect(
      describeNetworkError(Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } })),
    ).toBe("host not found");
  });
});
