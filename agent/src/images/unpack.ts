// Unpacks one layer blob into a read-only lower directory keyed by its diff id (the sha256 of the
// uncompressed tar). Extracted into a temporary directory and renamed into place only when
// complete and verified, so a crash never leaves a half layer under a real key.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, mkdtemp, rename, rm, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { exec, execOk, lastLines } from "./exec";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

export function layerDirName(diffId: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(diffId);
  if (!m?.[1]) throw new Error(`unsupported diff id ${diffId}`);
  return m[1];
}

type Compression = "gzip" | "zstd" | "none";

function compression(mediaType: string): Compression {
  if (/(\+gzip|\.gzip)$/.test(mediaType)) return "gzip";
  if (mediaType.endsWith("+zstd")) return "zstd";
  if (mediaType.endsWith(".tar")) return "none";
  throw new Error(`layer media type ${mediaType} is not supported (gzip, zstd or plain tar)`);
}

/** Returns the layer's directory, unpacking it first if it is not there yet. */
export async function unpackLayer(opts: {
  blob: string;
  mediaType: string;
  diffId: string;
  layersDir: string;
}): Promise<string> {
  const final = join(opts.layersDir, layerDirName(opts.diffId));
  if (existsSync(final)) return final;
  const tmp = await mkdtemp(join(opts.layersDir, ".tmp-"));
  try {
    await chmod(tmp, 0o755);
    const hash = createHash("sha256");
    const tee = new Transform({
      transform(chunk, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await extract(opts.blob, compression(opts.mediaType), tee, tmp);
    const got = `sha256:${hash.digest("hex")}`;
    if (got !== opts.diffId) throw new Error(`layer content is ${got}, the image config says ${opts.diffId}`);
    await convertWhiteouts(tmp);
    await rename(tmp, final);
    return final;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Starts a tool reading stdin; `done` rejects with its last stderr lines unless it exits 0. */
function tool(cmd: string, args: string[], stdout: "pipe" | "ignore") {
  const child = spawn(cmd, args, { stdio: ["pipe", stdout, "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} failed: ${lastLines(stderr) || `exit ${code}`}`)),
    );
  });
  if (!child.stdin) throw new Error(`${cmd}: no stdin`);
  return { stdin: child.stdin, stdout: child.stdout, done };
}

/** GNU tar does the filesystem work: owners, modes, hard links, devices, xattrs. */
async function extract(blob: string, kind: Compression, tee: Transform, dir: string) {
  const tar = tool(
    "tar",
    [
      "--extract",
      "--file=-",
      `--directory=${dir}`,
      "--numeric-owner",
      "--same-owner",
      "--same-permissions",
      "--xattrs",
      "--xattrs-include=*",
      // Overlay reads its own trusted.overlay.* attributes: a layer must not bring them in.
      "--xattrs-exclude=trusted.overlay.*",
    ],
    "ignore",
  );
  const source = createReadStream(blob);
  const steps: Promise<unknown>[] = [tar.done];
  if (kind === "gzip") {
    steps.push(pipeline(source, createGunzip(), tee, tar.stdin));
  } else if (kind === "zstd") {
    // Node 20 has no zstd; the zstd tool (Debian package zstd) streams it.
    const zstd = tool("zstd", ["--decompress", "--stdout", "--quiet"], "pipe");
    steps.push(zstd.done, pipeline(source, zstd.stdin));
    if (zstd.stdout) steps.push(pipeline(zstd.stdout, tee, tar.stdin));
  } else {
    steps.push(pipeline(source, tee, tar.stdin));
  }
  const results = await Promise.allSettled(steps);
  // tar's own message first: when it stops early, the pipes into it only say EPIPE.
  const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
}

/**
 * OCI marks deletions with files: `.wh.NAME` hides NAME of the lower layers, `.wh..wh..opq` hides
 * everything below its directory. Overlayfs wants a 0/0 character device named NAME and the
 * trusted.overlay.opaque=y attribute on the directory.
 */
async function convertWhiteouts(dir: string): Promise<void> {
  const found = await execOk("find", [dir, "-name", `${WHITEOUT}*`, "-print0"]);
  for (const file of found.stdout.split("\0").filter(Boolean)) {
    const name = basename(file);
    const parent = dirname(file);
    await unlink(file);
    if (name === OPAQUE) {
      await execOk("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", parent]);
    } else {
      const target = join(parent, name.slice(WHITEOUT.length));
      await rm(target, { recursive: true, force: true }); // a layer should not hold both
      const r = await exec("mknod", [target, "c", "0", "0"]);
      if (r.code !== 0) throw new Error(`whiteout ${target}: ${lastLines(r.stderr)}`);
    }
  }
}
