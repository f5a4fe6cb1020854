import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configPath, readConfig, removeConfig, resolveCredentials, writeConfig } from "./config";
import { readEnv } from "./env";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-cli-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const config = {
  url: "http://127.0.0.1:3000",
  token: "berth_secret",
  tenantId: "7b3f1c9e-0000-4000-8000-000000000001",
};

describe("config path", () => {
  it("prefers $BERTH_CONFIG, then $XDG_CONFIG_HOME, then ~/.config", () => {
    expect(configPath(readEnv({ BERTH_CONFIG: "/x/c.json", XDG_CONFIG_HOME: "/xdg", HOME: "/h" })).file).toBe(
      "/x/c.json",
    );
    expect(configPath(readEnv({ XDG_CONFIG_HOME: "/xdg", HOME: "/h" })).file).toBe("/xdg/berth/config.json");
    expect(configPath(readEnv({ HOME: "/h" })).file).toBe("/h/.config/berth/config.json");
    expect(configPath(readEnv({ XDG_CONFIG_HOME: "", HOME: "/h" })).file).toBe(
      "/h/.config/berth/config.json",
    );
  });
});

describe("config file", () => {
  it("is written 0600 in a 0700 directory, even under a permissive umask, and read back", async () => {
    const env = readEnv({ XDG_CONFIG_HOME: dir });
    const old = process.umask(0o000);
    try {
      const file = await writeConfig(env, config);
      expect(file).toBe(join(dir, "berth", "config.json"));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, "berth"))).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(old);
    }
    expect(await readConfig(env)).toEqual(config);
  });

  it("tightens an existing file's mode when rewriting it", async () => {
    const file = join(dir, "c.json");
    await writeFile(file, "{}", { mode: 0o644 });
    await writeConfig(readEnv({ BERTH_CONFIG: file }), config);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(config);
  });

  it("reports a damaged file and is removed by logout", async () => {
    const env = readEnv({ BERTH_CONFIG: join(dir, "c.json") });
    expect(await readConfig(env)).toBeNull();
    await writeFile(join(dir, "c.json"), "{nope");
    await expect(readConfig(env)).rejects.toThrow(/not valid JSON; run berth login again/);
    expect(await removeConfig(env)).toMatchObject({ existed: true });
    expect(await removeConfig(env)).toMatchObject({ existed: false });
  });
});

describe("credentials", () => {
  it("come from the file, with its tenant", async () => {
    const env = readEnv({ BERTH_CONFIG: join(dir, "c.json") });
    await writeConfig(env, config);
    expect(await resolveCredentials(env)).toEqual(config);
  });

  it("are overridden by BERTH_URL and BERTH_TOKEN, which drop the stored tenant", async () => {
    const base = { BERTH_CONFIG: join(dir, "c.json") };
    await writeConfig(readEnv(base), config);
    expect(await resolveCredentials(readEnv({ ...base, BERTH_TOKEN: "berth_other" }))).toEqual({
      url: config.url,
      token: "berth_other",
      tenantId: null,
    });
    expect(
      await resolveCredentials(readEnv({ ...base, BERTH_URL: "http://ci:1", BERTH_TOKEN: "t" })),
    ).toEqual({
      url: "http://ci:1",
      token: "t",
      tenantId: null,
    });
  });

  it("need both a URL and a token; say how to log in otherwise", async () => {
    const env = readEnv({ BERTH_CONFIG: join(dir, "none.json"), BERTH_URL: "http://x" });
    await expect(resolveCredentials(env)).rejects.toThrow(/^not logged in: run `berth login/);
  });
});
