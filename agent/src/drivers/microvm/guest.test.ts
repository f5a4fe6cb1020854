// The guest pieces for real: the hello image from the local registry becomes an ext4 rootfs and an
// initramfs, raw QEMU (TCG) boots them, the host reaches the workload through a forwarded port,
// and berth-init's console markers and control channel behave as the driver expects.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { specFixture } from "../../fixtures";
import { OciImageStore, type PulledImage } from "../../images";
import {
  defaultInitBinary,
  ensureBaseInitrd,
  ensureRootfs,
  type GuestConfig,
  type GuestKernel,
  guestConfigOf,
  kernelCmdline,
  loadGuestKernel,
  writeInstanceInitrd,
} from "./guest";
import { bootRaw, type RawVm } from "./guestkit";

const HELLO = "127.0.0.1:5000/examples/hello";
const repoRoot = new URL("../../../../", import.meta.url).pathname;

let dir: string;
let kernel: GuestKernel;
let image: PulledImage;
let base: string;
let rootfs: string;
const vms: RawVm[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function boot(name: string, config: GuestConfig, hostfwdPort?: number, memoryMiB?: number) {
  const vmDir = join(dir, name);
  await rm(vmDir, { recursive: true, force: true });
  execFileSync("mkdir", ["-p", vmDir]);
  const initrd = join(vmDir, "initrd.cpio");
  await writeInstanceInitrd({ base, config, out: initrd });
  const vm = bootRaw({ dir: vmDir, kernel: kernel.kernel, initrd, rootfs, hostfwdPort, memoryMiB });
  vms.push(vm);
  return vm;
}

async function firstOk(url: string, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return body;
    } catch {
      // not listening yet: QEMU accepts on the host port before the guest does
    }
    if (performance.now() > deadline) throw new Error(`no HTTP 200 from ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  execFileSync("make", ["-s", "-C", join(repoRoot, "native/guest-init")]);
  const loaded = await loadGuestKernel();
  if (!loaded) throw new Error("no guest kernel in .berth/guest: run npm run setup");
  kernel = loaded;
  dir = await mkdtemp(join(tmpdir(), "berth-guest-test-"));
  image = await new OciImageStore({ dataDir: join(dir, "images") }).ensure(HELLO);
  base = await ensureBaseInitrd({ kernel, initBinary: defaultInitBinary, cacheDir: join(dir, "initrd") });
  const cacheDir = join(dir, "rootfs");
  // Two callers at once share one build.
  const [a, b] = await Promise.all([ensureRootfs({ image, cacheDir }), ensureRootfs({ image, cacheDir })]);
  expect(a).toBe(b);
  rootfs = a;
  expect(await readdir(cacheDir)).toEqual([`${image.digest.slice("sha256:".length)}.ext4`]);
}, 180_000);

afterAll(async () => {
  for (const vm of vms) vm.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("microvm guest", () => {
  it("builds the kernel command line the guest init reads", () => {
    expect(kernelCmdline({ ip: "10.0.2.15", prefixLen: 24, gateway: "10.0.2.2" })).toBe(
      "console=ttyS0 reboot=t panic=-1 tsc_early_khz=2500000 berth.ip=10.0.2.15/24 berth.gw=10.0.2.2",
    );
    expect(() => kernelCmdline({ ip: "10.0.2.300" })).toThrow(/bad guest address/);
  });

  it("resolves argv, env and user like the container level", async () => {
    const spec = specFixture({ name: "Web", args: ["x"], env: { A: "1" } });
    const config = await guestConfigOf(spec, image);
    expect(config.argv).toEqual([...image.config.entrypoint, "x"]);
    expect(config.env).toContain("A=1");
    expect(config.env).toContain("PORT=8080");
    expect(config.hostname).toBe(`web-${spec.instanceId.slice(0, 8)}`);
    expect({ uid: config.uid, gid: config.gid, cwd: config.cwd }).toEqual({ uid: 0, gid: 0, cwd: "/" });
  });

  it("boots the hello image, serves HTTP and stops on a control line", async () => {
    const port = await freePort();
    const config = await guestConfigOf(specFixture({ name: "hello" }), image);
    const vm = await boot("hello", config, port);
    const body = await firstOk(`http://127.0.0.1:${port}/`, 90_000);
    const bootMs = performance.now() - vm.spawnedAt;
    console.log(`microvm hello: first HTTP 200 ${Math.round(bootMs)} ms after QEMU spawn`);
    expect(body).toMatch(/^Hello from Berth!/);
    const text = await vm.waitConsole(/GET \/ 200/, 10_000);
    expect(text).toMatch(/^berth-init: started pid=\d+$/m);
    expect(text).toMatch(/^hello listening on port 8080$/m);
    await vm.control("stop");
    expect(await vm.waitExit(30_000)).toBe(0);
    // hello exits 0 on SIGTERM.
    expect(vm.console()).toMatch(/^hello: stopping on signal$/m);
    expect(vm.console()).toMatch(/^berth-init: exited code=0$/m);
  }, 150_000);

  it("reports the workload's exit code and QEMU exits by itself", async () => {
    const config = { ...(await guestConfigOf(specFixture(), image)), argv: ["/bin/sh", "-c", "exit 3"] };
    const vm = await boot("exit3", config);
    expect(await vm.waitExit(60_000)).toBe(0);
    expect(vm.console()).toMatch(/^berth-init: started pid=\d+$/m);
    expect(vm.console()).toMatch(/^berth-init: exited code=3$/m);
  }, 90_000);
});
