// Credentials against a registry that requires them: a second docker-registry with htpasswd auth,
// started by this file on a free loopback port and stopped at the end.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execOk } from "./exec";
import { OciImageStore } from "./store";
import { HELLO, requireExampleImages } from "./testing";

const USER = "berth-test";
const PASSWORD = "s3cret-for-tests";
// bcrypt (cost 4) of PASSWORD: the registry reads only bcrypt htpasswd lines.
const HTPASSWD = `${USER}:$2b$04$abcdefghijklmnopqrstuunB1GY0OQltJ/RnralrWsObxSKZ7z0ES\n`;

let dir = "";
let registry: ChildProcess | undefined;
let ref = "";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

beforeAll(async () => {
  await requireExampleImages();
  dir = await mkdtemp(join(tmpdir(), "berth-authreg-"));
  const port = await freePort();
  await writeFile(join(dir, "htpasswd"), HTPASSWD);
  await writeFile(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "storage")}`,
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "auth:",
      "  htpasswd:",
      "    realm: berth-test",
      `    path: ${join(dir, "htpasswd")}`,
      "",
    ].join("\n"),
  );
  registry = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => null);
    if (res?.status === 401) break;
    if (Date.now() > deadline) throw new Error(`the test registry on 127.0.0.1:${port} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  ref = `127.0.0.1:${port}/private/hello:latest`;
  await execOk("skopeo", [
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    "--dest-tls-verify=false",
    "--dest-creds",
    `${USER}:${PASSWORD}`,
    `docker://${HELLO}`,
    `docker://${ref}`,
  ]);
});

afterAll(async () => {
  registry?.kill("SIGTERM");
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("registry credentials", () => {
  it("pulls with the tenant's credentials and refuses without them", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "berth-images-"));
    try {
      const store = new OciImageStore({ dataDir });
      await expect(store.ensure(ref)).rejects.toThrow(
        /pull failed: .*(unauthorized|authentication required)/i,
      );
      await expect(store.ensure(ref, { credentials: { username: USER, password: "wrong" } })).rejects.toThrow(
        /pull failed: .*(unauthorized|authentication required)/i,
      );
      const image = await store.ensure(ref, { credentials: { username: USER, password: PASSWORD } });
      expect(image.config.entrypoint).toEqual(["/bin/hello"]);
      // The auth file lived in the store's private tmp directory only for the pull.
      expect(await readdir(join(dataDir, "tmp"))).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
