// The microvm driver for real: the hello image from the local registry booted by QEMU (TCG here)
// through berth-jailer, on a real tenant network (tap, bridge, nftables DNAT), reached at its
// endpoint; the jail looked at from /proc; a second driver object adopting the VM and stopping it.
import { execFileSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { readdir, rm, utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskGc } from "../../disk-gc";
import type { InstanceSpec } from "../../driver";
import { OciImageStore } from "../../images";
import { HELLO, requireExampleImages } from "../../images/testing";
import { createLog } from "../../log";
import { createInstanceNetwork, type TenantNetwork } from "../../net";
import { idRangeBase } from "../container/ids";
import { requireNetAndImageTools } from "../container/probekit";
import { instanceSpec, tempDir } from "../container/testkit";
import { cgroupPathOf } from "./cgroup";
import { createMicrovmDriver, loadGuestKernel, type MicrovmDriver } from "./index";
import { memoryLimitBytes } from "./qemu";
import type { VmRecord } from "./records";
import { tapName } from "./tap";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
// A pool and ports of their own, away from the agent's defaults and the other network tests.
const pool = `10.${200 + randomInt(25)}.0.0/16`;
const portMin = 17000 + randomInt(40) * 25;
const log = createLog({ level: "warn" });

let data = "";
let images: OciImageStore;
let network: TenantNetwork;
let driver: MicrovmDriver;
const spec: InstanceSpec = instanceSpec({
  instanceId: randomUUID(),
  tenantId: randomUUID(),
  name: "hello-vm",
  image: HELLO,
  isolation: "microvm",
  cpuMillis: 1000,
  memoryMiB: 128,
  ports: [{ port: 8080, protocol: "tcp" }],
});

const newDriver = () =>
  createMicrovmDriver({ dataDir: join(data, "microvm"), images, network, accelerator: "tcg", log });
/** A sweep as if the image and root disk were last used 30 days ago (the agent's default policy). */
async function sweepLongUnused() {
  const then = new Date(Date.now() - 30 * 86_400_000);
  await images.lastUsed.touch(HELLO, then.getTime());
  for (const f of await readdir(join(data, "microvm/rootfs")))
    await utimes(join(data, "microvm/rootfs", f), then, then);
  const gc = new DiskGc({
    intervalMs: 0,
    unusedMs: 7 * 86_400_000,
    minAgeMs: 600_000,
    highPct: 100,
    lowPct: 99,
    driver: newDriver(),
    images,
    microvmDir: join(data, "microvm"),
    dataDir: data,
    log,
  });
  return gc.sweep("test");
}
const rootfsOf = (digest: string) => join(data, "microvm/rootfs", `${digest.replace("sha256:", "")}.ext4`);

const record = () =>
  JSON.parse(
    readFileSync(join(data, "microvm/instances", spec.instanceId, "record.json"), "utf8"),
  ) as VmRecord;

async function firstOk(url: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await fetch(url, { signal: AbortSignal.timeout(2000) })
      .then((r) => (r.status === 200 ? r.text() : null))
      .catch(() => null);
    if (body !== null) return body;
    if (Date.now() > deadline) throw new Error(`no HTTP 200 from ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  requireNetAndImageTools();
  await requireExampleImages();
  for (const dir of ["native/jailer", "native/guest-init"])
    execFileSync("make", ["-s", "-C", join(repoRoot, dir)]);
  if (!(await loadGuestKernel())) throw new Error("no guest kernel in .berth/guest: run npm run setup");
  data = await tempDir("berth-microvm-int-");
  images = new OciImageStore({ dataDir: join(data, "images") });
  network = createInstanceNetwork({
    dataDir: join(data, "net"),
    subnet: pool,
    portRange: { min: portMin, max: portMin + 24 },
    log,
  });
  driver = newDriver();
});

const others: string[] = [];

afterAll(async () => {
  for (const id of [spec.instanceId, ...others]) await driver?.stop(id, 0).catch(() => {});
  if (data) await rm(data, { recursive: true, force: true });
});

describe("the microvm driver", () => {
  it("boots the hello image: running, HTTP 200 at its endpoint, kernel and workload lines in its logs", async () => {
    await driver.prepare(spec);
    const t0 = performance.now();
    const status = await driver.start(spec);
    expect(status, JSON.stringify(status)).toMatchObject({ state: "running", generation: 1 });
    expect(status.endpoints).toHaveLength(1);
    const body = await firstOk(`http://${status.endpoints[0]}/`, 30_000);
    console.log(`create to HTTP 200 through the driver: ${Math.round(performance.now() - t0)} ms`);
    expect(body).toContain("Hello from Berth");
    // Idempotent for the same generation: the running VM, not a second one.
    expect((await driver.start(spec)).state).toBe("running");
    expect(record().pid).toBeGreaterThan(0);
    // The disk sweep keeps what a running VM boots, however long unused it looks.
    const digest = record().image as string;
    expect((await driver.imagesInUse()).digests).toEqual([digest]);
    expect(await sweepLongUnused()).toMatchObject({ images: [], blobs: 0, layers: 0, vmFiles: 0 });
    expect(existsSync(rootfsOf(digest))).toBe(true);
    const lines: string[] = [];
    for await (const line of driver.logs(spec.instanceId, { follow: false })) lines.push(line);
    const text = lines.join("\n");
    expect(text).toMatch(/Linux version 6\.1/);
    expect(text).toMatch(/berth-init: started pid=/);
    expect(text).toMatch(/listening on port 8080/);
    const usage = await driver.metrics(spec.instanceId);
    expect(usage?.memoryLimitBytes).toBe(memoryLimitBytes(spec.memoryMiB));
    expect(usage?.cpuNs).toBeGreaterThan(0);
    expect(usage?.pids).toBeGreaterThanOrEqual(2);
    const rss = Number(readFileSync(`/proc/${record().pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)?.[1]);
    console.log(
      `QEMU RSS: ${Math.round(rss / 1024)} MiB; cgroup memory ${Math.round((usage?.memoryBytes ?? 0) / 2 ** 20)} MiB`,
    );
  });

  it("runs QEMU jailed: the tenant's unprivileged uid, its own cgroups, a mount namespace without /etc, /home, /var", () => {
    const pid = record().pid as number;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const uid = record().uid;
    expect(uid).toBeGreaterThanOrEqual(idRangeBase);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"));
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    const cgroups = readFileSync(`/proc/${pid}/cgroup`, "utf8");
    for (const c of ["memory", "pids", "cpu"])
      expect(cgroups).toMatch(
        new RegExp(`^\\d+:[^:]*\\b${c}\\b[^:]*:${cgroupPathOf(spec.instanceId)}$`, "m"),
      );
    expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync("/proc/self/ns/mnt"));
    const root = `/proc/${pid}/root`;
    for (const gone of ["etc", "home", "var", "proc", "sys", "tmp", "root", "run"])
      expect(existsSync(join(root, gone)), gone).toBe(false);
    for (const there of ["usr", "vm", "dev/net/tun", "guest/vmlinuz", "guest/rootfs.ext4"])
      expect(existsSync(join(root, there)), there).toBe(true);
  });

  it("is adopted by a new driver object on the same data dir, which stops it gracefully and cleans up", async () => {
    const { pid, startTime } = record();
    const adopted = newDriver();
    const listed = await adopted.list();
    expect(listed.find((s) => s.instanceId === spec.instanceId)).toMatchObject({ state: "running" });
    expect(record().startTime).toBe(startTime);
    const t0 = performance.now();
    const stopped = await adopted.stop(spec.instanceId, 15_000);
    console.log(`graceful stop: ${Math.round(performance.now() - t0)} ms, exit code ${stopped.exitCode}`);
    // The hello server ends on SIGTERM; berth-init's marker carries its code.
    expect(stopped, JSON.stringify(stopped)).toMatchObject({ state: "stopped", endpoints: [] });
    expect(stopped.exitCode).toBeDefined();
    expect(stopped.exitCode).not.toBe(137);
    expect(readFileSync(join(data, "microvm/instances", spec.instanceId, "console.log"), "utf8")).toMatch(
      /berth-init: exited code=\d+/,
    );
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${tapName(spec.instanceId)}`)).toBe(false);
    for (const c of ["memory", "cpu", "cpuacct", "pids"])
      expect(existsSync(`/sys/fs/cgroup/${c}${cgroupPathOf(spec.instanceId)}`), c).toBe(false);
    expect(await driver.inspect(spec.instanceId)).toMatchObject({ state: "stopped" });
    // Stopped, it holds nothing: a sweep a month later deletes its image and root disk.
    expect((await adopted.imagesInUse()).digests).toEqual([]);
    const swept = await sweepLongUnused();
    expect(swept).toMatchObject({ images: [`${HELLO}`], vmFiles: 1 });
    expect(existsSync(rootfsOf(record().image as string))).toBe(false);
  });
});

describe("the microvm driver's other endings", () => {
  const short = (over: Partial<InstanceSpec>) => {
    const s = instanceSpec({
      instanceId: randomUUID(),
      tenantId: spec.tenantId,
      image: HELLO,
      isolation: "microvm",
      memoryMiB: 64,
      cpuMillis: 500,
      ...over,
    });
    others.push(s.instanceId);
    return s;
  };
  const settled = async (id: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await driver.inspect(id);
      if (!s || !["running", "starting"].includes(s.state) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("reports a workload that ends on its own as exited with its code, until stop cleans up", async () => {
    const s = short({ command: ["sh", "-c", "echo about to leave; exit 3"] });
    const started = await driver.start(s);
    expect(started.state).toMatch(/running|exited/);
    expect(await settled(s.instanceId)).toMatchObject({ state: "exited", exitCode: 3 });
    expect(await driver.metrics(s.instanceId)).toBeNull();
    const lines: string[] = [];
    for await (const line of driver.logs(s.instanceId, { follow: true })) lines.push(line);
    expect(lines).toContain("about to leave");
    expect(await driver.stop(s.instanceId, 1000)).toMatchObject({ state: "stopped", exitCode: 3 });
    expect(existsSync(`/sys/class/net/${tapName(s.instanceId)}`)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/memory${cgroupPathOf(s.instanceId)}`)).toBe(false);
  });

  it("fails an instance whose command does not exist, with berth-init's reason", async () => {
    const s = short({ command: ["/no/such/program"] });
    const started = await driver.start(s);
    expect(started, JSON.stringify(started)).toMatchObject({ state: "failed", exitCode: 127 });
    expect(started.reason).toMatch(/berth-init: .*no\/such\/program|No such file/);
    expect(await driver.stop(s.instanceId, 0)).toMatchObject({ state: "stopped" });
  });
});
