import { describe, expect, it } from "vitest";
import { deploymentBody } from "./commands/deploy";
import { parseExpiry } from "./commands/tokens";
import { CliError } from "./errors";
import {
  checkName,
  deriveName,
  parseEnv,
  parseIntFlag,
  parsePorts,
  parseSecrets,
  parseVolumes,
} from "./parse";

const usage = (fn: () => unknown, flag: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(flag);
    return;
  }
  throw new Error("expected a usage error");
};

describe("--env", () => {
  it("splits at the first = and keeps empty values and = in values", () => {
    expect(parseEnv(["A=1", "B=", "URL=postgres://x?a=b"])).toEqual({
      A: "1",
      B: "",
      URL: "postgres://x?a=b",
    });
  });
  it("names the flag for a pair without =, a bad key or a repeated key", () => {
    usage(() => parseEnv(["FOO"]), /^--env: "FOO" must be KEY=VALUE/);
    usage(() => parseEnv(["1A=x"]), /^--env: "1A" is not a valid variable name/);
    usage(() => parseEnv(["=x"]), /^--env: "" is not a valid/);
    usage(() => parseEnv(["A=1", "A=2"]), /^--env: A is given twice/);
  });
});

describe("--port", () => {
  it("accepts 1 to 65535 with an optional protocol", () => {
    expect(parsePorts(["1", "8080", "53/udp", "65535/TCP"])).toEqual([
      { port: 1, protocol: "tcp" },
      { port: 8080, protocol: "tcp" },
      { port: 53, protocol: "udp" },
      { port: 65535, protocol: "tcp" },
    ]);
  });
  it.each(["0", "70000", "-1", "80.5", "http", "80/sctp", ""])("refuses %j naming --port", (raw) => {
    usage(() => parsePorts([raw]), /^--port: /);
  });
  it("refuses the same port twice", () =>
    usage(() => parsePorts(["80", "80/tcp"]), /80\/tcp is given twice/));
});

describe("default deployment name", () => {
  it.each([
    ["127.0.0.1:5000/examples/hello:latest", "hello"],
    ["busybox", "busybox"],
    ["nginx:1.27", "nginx"],
    ["registry.local:5000/team/web", "web"],
    [`ghcr.io/org/My_App@sha256:${"a".repeat(64)}`, "my-app"],
    ["ghcr.io/org/app.server:v1@sha256:abc", "app-server"],
    ["x/--a__b--", "a-b"],
    [`x/${"a".repeat(80)}`, "a".repeat(63)],
  ])("%s → %s", (image, name) => {
    expect(deriveName(image)).toBe(name);
  });
  it("asks for --name when nothing usable is left", () =>
    usage(() => deriveName("x/___:tag"), /pass --name/));
  it("checks an explicit --name as a DNS label", () => {
    expect(checkName("web-1")).toBe("web-1");
    usage(() => checkName("Web"), /^--name: /);
  });
});

describe("numbers and the whole request body", () => {
  it("names the flag of a bad number", () => {
    expect(parseIntFlag("--replicas", "3", 0, 100)).toBe(3);
    expect(parseIntFlag("--replicas", undefined, 0, 100)).toBeUndefined();
    usage(() => parseIntFlag("--replicas", "1.5", 0, 100), /^--replicas: "1.5"/);
    usage(() => parseIntFlag("--cpu", "5", 10, 64000), /^--cpu: .*from 10 to 64000/);
    expect(parseExpiry("never")).toBeNull();
    usage(() => parseExpiry("0"), /^--expires-in-days/);
  });
  it("builds the create body from flags, leaving defaults to the server", () => {
    const body = deploymentBody("127.0.0.1:5000/examples/hello:latest", {
      port: ["8080"],
      env: ["A=b"],
      replicas: "2",
      isolation: "microvm",
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      name: "hello",
      image: "127.0.0.1:5000/examples/hello:latest",
      isolation: "microvm",
      ports: [{ port: 8080, protocol: "tcp" }],
      env: { A: "b" },
      replicas: 2,
    });
    usage(
      () => deploymentBody("busybox", { isolation: "vm" }),
      /^--isolation: "vm" must be one of container, microvm, unikernel/,
    );
  });
});

describe("--volume", () => {
  it("reads NAME:/PATH with an optional size and ro", () => {
    expect(parseVolumes(["data:/data", "cache:/var/cache:512", "conf:/srv/conf:ro", "x:/x:64:rw"])).toEqual([
      { name: "data", mountPath: "/data", readOnly: false },
      { name: "cache", mountPath: "/var/cache", sizeMiB: 512, readOnly: false },
      { name: "conf", mountPath: "/srv/conf", readOnly: true },
      { name: "x", mountPath: "/x", sizeMiB: 64, readOnly: false },
    ]);
  });
  it.each(["data", "data:rel", "Data:/d", ":/d", "data:/d:big", "data:/d:ro:64"])(
    "refuses %j naming --volume",
    (raw) => {
      usage(() => parseVolumes([raw]), /^--volume: /);
    },
  );
});

describe("--secret", () => {
  it("splits at the first = like --env", () => {
    expect(parseSecrets(["TOKEN=abc", "URL=postgres://u:p@db/x?a=b"])).toEqual({
      TOKEN: "abc",
      URL: "postgres://u:p@db/x?a=b",
    });
  });
  it("names the flag for a bad pair, an empty value, a repeat or a name also in --env, never echoing a value", () => {
    usage(
      () => parseSecrets(["TOKEN"]),
      /^--secret: TOKEN has no value: give TOKEN=VALUE, or export TOKEN first$/,
    );
    usage(() => parseSecrets(["1A=x"]), /^--secret: "1A" is not a valid variable name/);
    usage(() => parseSecrets(["__proto__=x"]), /^--secret: "__proto__" is not a valid variable name/);
    usage(() => parseSecrets(["TOKEN="]), /^--secret: TOKEN has an empty value/);
    usage(() => parseSecrets(["A=1", "A=2"]), /^--secret: A is given twice/);
    usage(() => parseSecrets(["A=1"], { A: "x" }), /^--secret: A is also given with --env/);
  });
  it("takes the value of NAME alone from the CLI's environment, verbatim", () => {
    const variable = (n: string) => ({ TOKEN: " t0k=en ", EMPTY: "" })[n];
    expect(parseSecrets(["TOKEN"], {}, variable)).toEqual({ TOKEN: " t0k=en " });
    usage(() => parseSecrets(["EMPTY"], {}, variable), /^--secret: EMPTY has an empty value$/);
    usage(() => parseSecrets(["OTHER"], {}, variable), /^--secret: OTHER has no value/);
  });
  it("goes into the deploy request beside env", () => {
    expect(deploymentBody("busybox", { env: ["A=1"], secret: ["B=2"] })).toMatchObject({
      env: { A: "1" },
      secrets: { B: "2" },
    });
    usage(() => deploymentBody("busybox", { env: ["A=1"], secret: ["A=2"] }), /^--secret: A is also given/);
  });
});
