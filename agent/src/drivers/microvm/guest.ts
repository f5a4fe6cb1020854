// What a micro-VM boots: the guest kernel (fetched by the setup), the initramfs (berth-init, the
// virtio modules and the instance's /berth/config) and the kernel command line. The rootfs disk is
// built in rootfs.ts. Formats: native/guest-init/init.c and the microvm design notes.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
  appendFile,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { InstanceSpec } from "../../driver";
import type { PulledImage } from "../../images/types";
import { hostnameOf } from "../container/host";
import { mergeEnv, workloadArgs } from "../container/spec";
import { resolveUser } from "../container/user";
import { cacheLock, touchCached } from "./caches";
import { type CpioEntry, cpioArchive } from "./cpio";

export { ensureRootfs } from "./rootfs";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
export const defaultGuestDir = join(repoRoot, ".berth/guest");
export const defaultInitBinary = join(repoRoot, "native/guest-init/build/berth-init");

export type GuestKernel = { version: string; kernel: string; modules: string[] };

export type GuestConfig = {
  argv: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  hostname: string;
};

/** The kernel the setup unpacked (current.json), or null when there is none or a file is gone. */
export async function loadGuestKernel(
  dir = process.env.BERTH_AGENT_GUEST_DIR || defaultGuestDir,
): Promise<GuestKernel | null> {
  let current: Partial<GuestKernel>;
  try {
    current = JSON.parse(await readFile(join(dir, "current.json"), "utf8"));
  } catch {
    return null;
  }
  const { version, kernel, modules } = current;
  if (typeof version !== "string" || typeof kernel !== "string" || !Array.isArray(modules)) return null;
  if (![kernel, ...modules].every((f) => typeof f === "string" && existsSync(f))) return null;
  return { version, kernel, modules };
}

/** Writes bytes next to their final name, then renames: readers see the old file or the new. */
async function writeBytesAtomic(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The instance-independent part of the initramfs: berth-init at /init, the modules and their load
 * order, /dev/console (without it the kernel gives /init no stdout), and the mount points. Cached
 * by kernel version and by a hash of the inputs, so a rebuilt berth-init is picked up.
 */
export async function ensureBaseInitrd(o: {
  kernel: GuestKernel;
  initBinary: string;
  cacheDir: string;
}): Promise<string> {
  const init = await readFile(o.initBinary);
  const modules = await Promise.all(
    o.kernel.modules.map(async (m) => ({ name: basename(m), data: await readFile(m) })),
  );
  const hash = createHash("sha256").update(init);
  for (const m of modules) hash.update(m.name).update(m.data);
  const out = join(o.cacheDir, `base-${o.kernel.version}-${hash.digest("hex").slice(0, 16)}.cpio`);
  // Touched when found (caches.ts: the sweep deletes base archives unused for long).
  return cacheLock.run(out, async () => {
    if (await touchCached(out)) return out;
    await writeBaseInitrd(out, o.cacheDir, init, modules);
    return out;
  });
}

async function writeBaseInitrd(
  out: string,
  cacheDir: string,
  init: Buffer,
  modules: { name: string; data: Buffer }[],
): Promise<void> {
  const entries: CpioEntry[] = [
    ...["dev", "proc", "sys", "newroot", "berth", "lib", "lib/berth-modules"].map(
      (name): CpioEntry => ({ type: "dir", name }),
    ),
    { type: "char", name: "dev/console", major: 5, minor: 1, mode: 0o600 },
    { type: "file", name: "init", data: init, mode: 0o755 },
    ...modules.map((m): CpioEntry => ({ type: "file", name: `lib/berth-modules/${m.name}`, data: m.data })),
    {
      type: "file",
      name: "lib/berth-modules/order",
      data: Buffer.from(modules.map((m) => `${m.name}\n`).join("")),
    },
  ];
  await mkdir(cacheDir, { recursive: true });
  await writeBytesAtomic(out, (tmp) => writeFile(tmp, cpioArchive(entries)));
}

/** /berth/config: NUL-terminated entries, a one-letter tag then the value (read by berth-init). */
export function encodeConfig(c: GuestConfig): Buffer {
  if (!c.argv.length) throw new Error("the guest config has no command");
  const entries = [
    ...c.argv.map((a) => `A${a}`),
    ...c.env.map((e) => `E${e}`),
    `C${c.cwd || "/"}`,
    `U${c.uid}:${c.gid}`,
    ...(c.hostname ? [`H${c.hostname}`] : []),
  ];
  for (const e of entries)
    if (e.includes("\0")) throw new Error(`a NUL byte in the guest config: ${JSON.stringify(e.slice(1))}`);
  return Buffer.from(entries.map((e) => `${e}\0`).join(""));
}

/** The instance's initramfs: the base archive with a second one holding /berth/config appended. */
export async function writeInstanceInitrd(o: {
  base: string;
  config: GuestConfig;
  out: string;
}): Promise<void> {
  // High inode numbers: distinct from the base archive's, though only hard links compare them.
  const extra = cpioArchive([{ type: "file", name: "berth/config", data: encodeConfig(o.config) }], 1 << 20);
  await writeBytesAtomic(o.out, async (tmp) => {
    await copyFile(o.base, tmp);
    await appendFile(tmp, extra);
  });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/**
 * The guest's command line. tsc_early_khz avoids the TCG boots that hang calibrating the TSC;
 * `quiet` is left out on purpose (a boot with it hung once); reboot=t with QEMU's -no-reboot turns
 * berth-init's reset into QEMU's exit.
 */
export function kernelCmdline(o: { ip?: string; prefixLen?: number; gateway?: string } = {}): string {
  const parts = ["console=ttyS0", "reboot=t", "panic=-1", "tsc_early_khz=2500000"];
  if (o.ip) {
    const prefix = o.prefixLen ?? 24;
    if (!IPV4.test(o.ip) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32)
      throw new Error(`bad guest address ${o.ip}/${prefix}`);
    parts.push(`berth.ip=${o.ip}/${prefix}`);
  }
  if (o.gateway) {
    if (!IPV4.test(o.gateway)) throw new Error(`bad guest gateway ${o.gateway}`);
    parts.push(`berth.gw=${o.gateway}`);
  }
  return parts.join(" ");
}

/**
 * A directory holding the image's effective /etc/passwd and /etc/group, taken from the topmost
 * layer that has each. Only regular files under a real etc directory count: a symlink in an image
 * must not make the agent read host files (the same rule as the container level's user.ts).
 */
async function etcOfLayers(layers: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-etc-"));
  await mkdir(join(dir, "etc"));
  for (const name of ["passwd", "group"]) {
    for (const layer of [...layers].reverse()) {
      const etc = await lstat(join(layer, "etc")).catch(() => null);
      const file = await lstat(join(layer, "etc", name)).catch(() => null);
      if (!etc || !file) continue;
      // A whiteout (or anything but a file) hides the lower layers' copies.
      if (etc.isDirectory() && file.isFile())
        await copyFile(join(layer, "etc", name), join(dir, "etc", name));
      break;
    }
  }
  return dir;
}

/**
 * What berth-init runs, with the container level's rules: command/args over the image's
 * entrypoint/cmd, the image's env under the deployment's, the image's USER resolved from its own
 * /etc/passwd (from rootfsDir when the caller has the merged tree, otherwise from the layers).
 */
export async function guestConfigOf(
  spec: InstanceSpec,
  image: PulledImage,
  rootfsDir?: string,
): Promise<GuestConfig> {
  const hostname = hostnameOf(spec);
  const argv = workloadArgs(image.config, spec.command, spec.args);
  if (!argv.length) throw new Error("the image has no entrypoint or cmd and the deployment no command");
  let user = { uid: 0, gid: 0 };
  if (image.config.user) {
    const etc = rootfsDir ?? (await etcOfLayers(image.layers));
    try {
      user = await resolveUser(etc, image.config.user);
    } finally {
      if (!rootfsDir) await rm(etc, { recursive: true, force: true });
    }
  }
  return {
    argv,
    env: mergeEnv(image.config.env, spec.env, hostname),
    cwd: image.config.workingDir || "/",
    ...user,
    hostname,
  };
}
