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

function decompressor(mediaType: string): Transform | null {
  if (/(\+gzip|\.gzip)$/.test(mediaType)) return createGunzip();
  if (mediaType.endsWith(".tar")) return null;
  throw new Error(`layer media type ${mediaType} is not supported (gzip or plain tar only)`);
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
    await extract(opts.blob, decompressor(opts.mediaType), tee, tmp);
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

/** GNU tar does the filesystem work: owners, modes, hard links, devices, xattrs. */
async function extract(blob: string, gunzip: Transform | null, tee: Transform, dir: string) {
  const tar = spawn(
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
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  let stderr = "";
  tar.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.on("error", reject);
    tar.on("close", resolve);
  });
  const source = createReadStream(blob);
  const piped = (gunzip ? pipeline(source, gunzip, tee, tar.stdin) : pipeline(source, tee, tar.stdin)).then(
    () => null,
    (e: Error) => e,
  );
  const [code, pipeErr] = await Promise.all([exited, piped]);
  if (code !== 0) throw new Error(`tar failed: ${lastLines(stderr) || `exit ${code}`}`);
  if (pipeErr) throw new Error(`reading the layer failed: ${pipeErr.message}`);
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
