// Setup steps for the image pipeline: the local registry (Debian's docker-registry on
// 127.0.0.1:5000) and the example images the project builds and pushes to it.
// Both check before they act: a second run costs a few HTTP requests.
import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { capture, hasCommand, hashPaths, root, run, SetupError, stateDir } from "./lib.mjs";

export const REGISTRY = "127.0.0.1:5000";
const REGISTRY_BIN = "/usr/bin/docker-registry";
const SOURCE_LABEL = "org.berth.source-hash";
const isRoot = process.getuid?.() === 0;

/** The examples: each is the shared busybox base plus the project's server in one mode. */
const EXAMPLES = {
  hello: { entrypoint: ["/bin/hello"], env: ["PATH=/bin", "PORT=8080"], volumes: [] },
  notes: {
    entrypoint: ["/bin/hello", "notes"],
    env: ["PATH=/bin", "PORT=8080", "NOTES_FILE=/data/notes.txt"],
    volumes: ["/data"],
  },
};

async function registryUp() {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Starts the registry detached (it outlives setup, like Postgres), logging to .berth/logs. */
export async function ensureRegistry() {
  if (await registryUp()) return `up on ${REGISTRY}`;
  if (!existsSync(REGISTRY_BIN))
    throw new SetupError(
      `nothing answers on http://${REGISTRY}/v2/ and ${REGISTRY_BIN} is missing: sudo apt-get install -y docker-registry (or run any registry on ${REGISTRY} yourself, e.g. docker run -d -p ${REGISTRY}:5000 registry:2)`,
    );
  const storage = path.join(stateDir, "registry");
  const logFile = path.join(stateDir, "logs/registry.log");
  mkdirSync(storage, { recursive: true });
  mkdirSync(path.dirname(logFile), { recursive: true });
  const out = openSync(logFile, "a");
  const child = spawn(REGISTRY_BIN, ["serve", path.join(root, "infra/registry/config.yml")], {
    cwd: root,
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: storage },
  });
  child.unref();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await registryUp()) {
      // Another setup running at the same time may have won the port: its registry serves.
      if (child.exitCode !== null) return "started by another setup";
      writeFileSync(path.join(stateDir, "registry.pid"), `${child.pid}\n`);
      return `started (pid ${child.pid}, storage .berth/registry, log .berth/logs/registry.log)`;
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-6).join("\n") : "";
  throw new SetupError(`the registry did not answer on http://${REGISTRY}/v2/ within 15 s. Log:\n${tail}`);
}

/** The label each pushed image carries; a change in any source (or busybox) rebuilds both. */
async function sourceHash() {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not JS
  const busybox = await capture("dpkg-query", ["-W", "-f=${Version}", "busybox-static"]);
  const files = hashPaths(["native/hello", "native/Makefile", "infra/scripts/images.mjs"]);
  return `${files.slice(0, 32)}-${busybox.stdout.trim() || "unknown"}`.replace(/[^A-Za-z0-9.+_-]/g, "_");
}

/** The source hash label of a pushed image, or null when the image is missing. */
async function pushedLabel(name) {
  const base = `http://${REGISTRY}/v2/examples/${name}`;
  const accept =
    "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json";
  const res = await fetch(`${base}/manifests/latest`, { headers: { accept } });
  if (res.status !== 200) return null;
  const manifest = await res.json();
  const config = await fetch(`${base}/blobs/${manifest.config.digest}`).then((r) => r.json());
  return config.config?.Labels?.[SOURCE_LABEL] ?? null;
}

export async function ensureExampleImages() {
  const hash = await sourceHash();
  const names = Object.keys(EXAMPLES);
  const labels = await Promise.all(names.map(pushedLabel));
  if (labels.every((l) => l === hash)) return `${names.join(", ")} up to date`;
  const tools = { make: "make", gcc: "gcc", umoci: "umoci", skopeo: "skopeo", busybox: "busybox-static" };
  const missing = Object.entries(tools).filter(([cmd]) => !hasCommand(cmd));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(" ");
    throw new SetupError(`building the example images needs ${pkgs}: sudo apt-get install -y ${pkgs}`);
  }
  await run("make", ["-s", "-C", "native"]);
  // Per process: two setups at once (npm start beside npm test) must not share a build directory.
  const dir = path.join(stateDir, `build/images-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const layout = path.join(dir, "oci");
  const umoci = (...args) => run("umoci", args, { stdio: ["ignore", "ignore", "inherit"] });
  const rootless = isRoot ? [] : ["--rootless"];
  await umoci("init", "--layout", layout);
  await umoci("new", "--image", `${layout}:base`);
  await umoci("unpack", ...rootless, "--image", `${layout}:base`, path.join(dir, "base"));
  await fillBase(path.join(dir, "base/rootfs"));
  await umoci("repack", "--image", `${layout}:base`, path.join(dir, "base"));
  // Every example is unpacked from the same base: they share its layer blob, in the layout and
  // in the registry, which is what the agent's store relies on to store it once.
  for (const [name, spec] of Object.entries(EXAMPLES)) {
    const bundle = path.join(dir, name);
    await umoci("unpack", ...rootless, "--image", `${layout}:base`, bundle);
    copyFileSync(path.join(root, "native/build/hello"), path.join(bundle, "rootfs/bin/hello"));
    chmodSync(path.join(bundle, "rootfs/bin/hello"), 0o755);
    for (const v of spec.volumes) mkdirSync(path.join(bundle, "rootfs", v), { recursive: true });
    await umoci("repack", "--image", `${layout}:${name}`, bundle);
    await umoci(
      "config",
      "--image",
      `${layout}:${name}`,
      ...spec.entrypoint.flatMap((e) => ["--config.entrypoint", e]),
      ...spec.env.flatMap((e) => ["--config.env", e]),
      ...spec.volumes.flatMap((v) => ["--config.volume", v]),
      "--config.workingdir",
      "/",
      "--config.exposedports",
      "8080/tcp",
      "--config.stopsignal",
      "SIGTERM",
      "--config.label",
      `${SOURCE_LABEL}=${hash}`,
      "--config.label",
      `org.opencontainers.image.source=berth/native/hello`,
    );
    await run(
      "skopeo",
      [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        `oci:${layout}:${name}`,
        `docker://${REGISTRY}/examples/${name}:latest`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return `built and pushed ${names.map((n) => `${REGISTRY}/examples/${n}:latest`).join(", ")}`;
}

/** busybox-static with its applets as symlinks, and the few files a shell expects. */
async function fillBase(rootfs) {
  for (const d of ["bin", "etc", "root", "tmp", "proc", "sys", "dev"])
    mkdirSync(path.join(rootfs, d), { recursive: true });
  chmodSync(path.join(rootfs, "tmp"), 0o1777);
  copyFileSync("/bin/busybox", path.join(rootfs, "bin/busybox"));
  chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  const list = await capture("/bin/busybox", ["--list"]);
  if (list.code !== 0) throw new SetupError("/bin/busybox --list failed: is busybox-static installed?");
  for (const applet of list.stdout.split("\n").filter((a) => a && a !== "busybox")) {
    symlinkSync("busybox", path.join(rootfs, "bin", applet));
  }
  writeFileSync(
    path.join(rootfs, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  writeFileSync(path.join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
}
