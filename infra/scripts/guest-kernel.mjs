// Setup step for the microvm level: the guest kernel (Debian's cloud kernel, PVH-bootable) and the
// few modules the guest init loads, kept under .berth/guest/<version>/ and described by
// .berth/guest/current.json, which the agent reads. A second run only checks that the files exist.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { capture, hasCommand, log, SetupError, stateDir } from "./lib.mjs";

const PINNED = "linux-image-6.1.0-56-cloud-amd64";
const FAMILY = /^linux-image-(6\.1\.0-(\d+)-cloud-amd64)$/;
// What the guest needs: virtio over MMIO, its network card and its disk (ext4 is built in).
// The load order is computed from the modules' own `depends=`, so these are in no particular order.
const WANTED = ["virtio_mmio", "virtio_net", "virtio_blk"];

export const guestDir = path.join(stateDir, "guest");
const currentPath = path.join(guestDir, "current.json");

/** Ensures current.json points at an unpacked kernel and its modules; returns a one-line summary. */
export async function ensureGuestKernel() {
  const current = readCurrent();
  if (current) return `${current.version} (${current.package} ${current.packageVersion}, cached)`;
  if (!hasCommand("apt-get") || !hasCommand("dpkg-deb"))
    return "skipped (no apt-get/dpkg-deb: the microvm level needs a Debian cloud kernel in .berth/guest)";
  const pkg = await choosePackage();
  const work = mkdtempSync(path.join(os.tmpdir(), "berth-guest-"));
  try {
    const deb = await download(pkg, work);
    const info = await unpack(deb, work);
    const result = install(info, path.join(work, "x"));
    return `${result.version} (${result.package} ${result.packageVersion}, fetched)`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The recorded kernel when every file it names still exists, else null (then it is fetched again). */
function readCurrent() {
  if (!existsSync(currentPath)) return null;
  try {
    const c = JSON.parse(readFileSync(currentPath, "utf8"));
    const files = [c.kernel, ...(c.modules ?? [])];
    return files.every((f) => typeof f === "string" && existsSync(f)) ? c : null;
  } catch {
    return null;
  }
}

/** The pinned package, or the newest of its family that apt knows when the archive dropped it. */
async function choosePackage() {
  const pinned = await capture("apt-cache", ["show", "--no-all-versions", PINNED]);
  if (pinned.code === 0 && /^Version:/m.test(pinned.stdout)) return PINNED;
  const newest = await newestInFamily();
  if (!newest)
    throw new SetupError(
      `no ${PINNED} and no other linux-image-6.1.0-*-cloud-amd64 in apt's lists: run apt-get update, then npm run setup again`,
    );
  log("guest kernel", `${PINNED} is gone from the archive: using ${newest} instead`);
  return newest;
}

async function newestInFamily() {
  const r = await capture("apt-cache", [
    "search",
    "--names-only",
    "^linux-image-6\\.1\\.0-[0-9]+-cloud-amd64$",
  ]);
  const abi = (name) => Number(FAMILY.exec(name)?.[2] ?? -1);
  const names = r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => FAMILY.test(n));
  return names.sort((a, b) => abi(b) - abi(a))[0] ?? null;
}

async function download(pkg, work) {
  // Run from the temp dir: apt-get download writes into the current directory.
  const r = await capture("apt-get", ["download", pkg], { cwd: work });
  const deb = (await capture("sh", ["-c", "ls *.deb"], { cwd: work })).stdout.trim().split("\n")[0];
  if (r.code !== 0 || !deb) throw new SetupError(`apt-get download ${pkg} failed: ${r.stderr.trim()}`);
  return path.join(work, deb);
}

async function unpack(deb, work) {
  const field = async (name) => (await capture("dpkg-deb", ["-f", deb, name])).stdout.trim();
  const x = await capture("dpkg-deb", ["-x", deb, path.join(work, "x")]);
  if (x.code !== 0) throw new SetupError(`dpkg-deb -x ${deb} failed: ${x.stderr.trim()}`);
  const pkg = await field("Package");
  const version = FAMILY.exec(pkg)?.[1];
  if (!version) throw new SetupError(`${deb} is not a linux-image-6.1.0-*-cloud-amd64 package`);
  return { package: pkg, packageVersion: await field("Version"), version };
}

/** Copies vmlinuz and the modules into .berth/guest/<version>/, then swaps current.json in. */
function install(info, tree) {
  const final = path.join(guestDir, info.version);
  const staging = `${final}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.join(staging, "modules"), { recursive: true });
  copyFileSync(path.join(tree, "boot", `vmlinuz-${info.version}`), path.join(staging, "vmlinuz"));
  const found = findModules(path.join(tree, "lib/modules", info.version, "kernel"));
  const order = loadOrder(WANTED, found);
  for (const name of order) copyFileSync(found.get(name), path.join(staging, "modules", `${name}.ko`));
  // A directory cannot be renamed over a non-empty one: drop an incomplete leftover first.
  rmSync(final, { recursive: true, force: true });
  renameSync(staging, final);
  const current = {
    version: info.version,
    package: info.package,
    packageVersion: info.packageVersion,
    kernel: path.join(final, "vmlinuz"),
    modules: order.map((name) => path.join(final, "modules", `${name}.ko`)),
  };
  const tmp = `${currentPath}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(current, null, 2)}\n`);
  renameSync(tmp, currentPath);
  return current;
}

/** Every .ko under the tree, by module name (file name without .ko; '-' and '_' are the same). */
function findModules(dir, out = new Map()) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) findModules(abs, out);
    else if (entry.name.endsWith(".ko")) out.set(entry.name.slice(0, -3).replaceAll("-", "_"), abs);
  }
  return out;
}

/**
 * The wanted modules and everything they depend on, dependencies first. The dependencies come from
 * the `depends=` string in each module's .modinfo section (no kmod needed on the host).
 */
function loadOrder(wanted, found) {
  const order = [];
  const visit = (name, chain) => {
    if (order.includes(name)) return;
    if (chain.includes(name))
      throw new SetupError(`module dependency cycle: ${[...chain, name].join(" -> ")}`);
    const file = found.get(name);
    if (!file) throw new SetupError(`the kernel package has no module ${name}`);
    for (const dep of dependsOf(file)) visit(dep, [...chain, name]);
    order.push(name);
  };
  for (const name of wanted) visit(name, []);
  return order;
}

function dependsOf(file) {
  const text = readFileSync(file).toString("latin1");
  const m = /\0depends=([^\0]*)\0/.exec(text);
  return m?.[1] ? m[1].split(",").map((d) => d.replaceAll("-", "_")) : [];
}
