import { describe, expect, it } from "vitest";
import { isLoopbackRegistry, parseRef } from "./ref";

const digest = `sha256:${"a".repeat(64)}`;

describe("parseRef", () => {
  it.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["user/app:1.2", "docker.io/user/app:1.2"],
    ["127.0.0.1:5000/examples/hello", "127.0.0.1:5000/examples/hello:latest"],
    ["localhost/app:v1", "localhost/app:v1"],
    ["ghcr.io/org/app:tag", "ghcr.io/org/app:tag"],
    [`127.0.0.1:5000/examples/hello@${digest}`, `127.0.0.1:5000/examples/hello@${digest}`],
    [`registry.example:443/a/b:tag@${digest}`, `registry.example:443/a/b@${digest}`],
  ])("%s -> %s", (input, canonical) => {
    expect(parseRef(input).canonical).toBe(canonical);
  });

  it.each(["", "UPPER/case", "a/b:bad tag", "a@sha256:short", "a//b", "host:5000/"])(
    "rejects %j",
    (input) => {
      expect(() => parseRef(input)).toThrow(/invalid reference/);
    },
  );

  it("treats only loopback registries as plain HTTP", () => {
    expect(isLoopbackRegistry("127.0.0.1:5000")).toBe(true);
    expect(isLoopbackRegistry("localhost:5000")).toBe(true);
    expect(isLoopbackRegistry("registry.example:5000")).toBe(false);
    expect(isLoopbackRegistry("127.example.com")).toBe(false);
  });
});
