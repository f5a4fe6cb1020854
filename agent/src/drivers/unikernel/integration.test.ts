// The unikernel driver for real: hello-unikernel from the local registry (npm run unikernel:build)
// booted by QEMU microvm (TCG) through berth-jailer on a real tenant network (tap, bridge,
// nftables DNAT), reached at its endpoint and pinged through the bridge; logs, metrics, a second
// driver object adopting and stopping it; the deployment's env on the kernel command line, read by
// the app (GREETING on its page); the wrong kind of image refused; a halt and a crash reported
// from the console.
import { execFileSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceSpec } from "../../driver";
import { OciImageStore } from "../../images";
import { HELLO_UNIKERNEL, requireUnikernelImages } from "../../images/artifact-testing";
import { HELLO, requireExampleImages } from "../../images/testing";
import { createLog } from "../../log";
import { bridgeName, createInstanceNetwork, type TenantNetwork } from "../../net";
import { macFor } from "../../net/link";
import { requireNetAndImageTools } from "../container/probekit";
import { instanceSpec, tempDir } from "../container/testkit";
import type { VmRecord } from "../microvm/records";
import { tapName } from "../microvm/tap";
import { pushBootTestArtifact, pushMultibootArtifact } from "./artifactkit";
import { createUnikernelDriver, type UnikernelDriver } from "./index";
import { ukMemoryLimitBytes } from "./qemu";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
const pool = `10.${200 + randomInt(25)}.0.0/16`;
const portMin = 18000 + randomInt(40) * 25;
const log = createLog({ level: "warn" });

let data = "";
let images: OciImageStore;
let network: TenantNetwork;
let driver: UnikernelDriver;
let bootTest = "";
let multiboot = "";
const tenantId = randomUUID();
const spec: InstanceSpec = instanceSpec({
  instanceId: randomUUID(),
  tenantId,
  name: "hello-uk",
  image: HELLO_UNIKERNEL,
  isolation: "unikernel",
  cpuMillis: 500,
  memoryMiB: 64,
  ports: [{ port: 8080, protocol: "tcp" }],
});
const ids = [spec.instanceId];

const newDriver = () =>
  createUnikernelDriver({ dataDir: join(data, "unikernel"), images, network, accelerator: "tcg", log });
const record = (id = spec.instanceId) =>
  JSON.parse(readFileSync(join(data, "unikernel/instances", id, "record.json"), "utf8")) as VmRecord;
const consoleOf = (id = spec.instanceId) =>
  readFileSync(join(data, "unikernel/instances", id, "console.log"), "utf8");
const counter = (body: string) => Number(body.match(/requests?\D{0,40}?(\d+)/i)?.[1]);

/**
 * The host's neighbour entry for the instance's address, polled for up to ~0.4 s: the guest's boot
 * asks for its gateway, so the host has its MAC before anything was sent to it. (When the library
 * OS dropped its boot-time ARP, the host learned it only a second after boot or from its own
 * request, which, lost, cost bench:unikernel a ~1 s tail.)
 */
async function hostNeighbour(ip: string): Promise<string> {
  const show = () =>
    execFileSync("ip", ["neigh", "show", ip, "dev", bridgeName(tenantId, pool)], { encoding: "utf8" });
  let out = show();
  for (let i = 0; i < 30 && !out.includes("lladdr"); i++) {
    await new Promise((r) => setTimeout(r, 10));
    out = show();
  }
  return out.trim();
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  requireNetAndImageTools();
  await requireExampleImages();
  await requireUnikernelImages();
  execFileSync("make", ["-s", "-C", join(repoRoot, "native/jailer")]);
  bootTest = await pushBootTestArtifact();
  multiboot = await pushMultibootArtifact();
  data = await tempDir("berth-unikernel-int-");
  images = new OciImageStore({ dataDir: join(data, "images") });
  network = createInstanceNetwork({
    dataDir: join(data, "net"),
    subnet: pool,
    portRange: { min: portMin, max: portMin + 24 },
    log,
  });
  driver = newDriver();
});

afterAll(async () => {
  for (const id of ids) await driver?.stop(id, 0).catch(() => {});
  if (data) await rm(data, { recursive: true, force: true });
});

describe("the unikernel driver", () => {
  it("boots hello-unikernel: running once listening, HTTP 200 at its endpoint, the counter going up", async () => {
    await driver.prepare(spec);
    const t0 = performance.now();
    const status = await driver.start(spec);
    const startMs = Math.round(performance.now() - t0);
    expect(status, JSON.stringify(status)).toMatchObject({
      state: "running",
      generation: 1,
      accelerator: "tcg",
    });
    expect(status.endpoints).toHaveLength(1);
    const ip = consoleOf().match(/listening on (\d+\.\d+\.\d+\.\d+):8080/)?.[1] as string;
    expect(await hostNeighbour(ip)).toContain(`lladdr ${macFor(`${ip}/32`)}`);
    const url = `http://${status.endpoints[0]}/`;
    const first = await get(url);
    console.log(
      `start (listening) ${startMs} ms, create to first HTTP 200 ${Math.round(performance.now() - t0)} ms`,
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/unikernel/i);
    expect(first.body).not.toContain("greeting"); // no env, no greeting line
    const second = await get(url);
    expect(counter(second.body)).toBe(counter(first.body) + 1);
    expect((await driver.start(spec)).state).toBe("running");
  });

  it("hands the env to the unikernel on its command line: the page shows GREETING, escaped", async () => {
    const env = {
      GREETING: "hi there",
      // What the other words of the line look like, and markup: neither is taken for what it says.
      TRICKY: '<b>"virtio_mmio.device=512@0xfeb00000:5" netdev.ip=6.6.6.6/8:6.6.6.1</b> \\o/',
    };
    const withEnv = instanceSpec({ ...spec, instanceId: randomUUID(), name: "hello-uk-env", env });
    ids.push(withEnv.instanceId);
    const status = await driver.start(withEnv);
    expect(status.state, JSON.stringify(status)).toBe("running");
    const page = await get(`http://${status.endpoints[0]}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<p>greeting: hi there</p>");
    // QEMU's argv holds the tokens; the console names the variables and shows none of the values.
    const argv = readFileSync(`/proc/${record(withEnv.instanceId).pid}/cmdline`, "utf8").split("\0");
    expect(argv[argv.indexOf("-append") + 1]).toMatch(
      /^netdev\.ip=\S+ env\.GREETING="hi there" env\.TRICKY="<b>\\"virtio_mmio.device=512@0xfeb00000:5\\" netdev\.ip=6\.6\.6\.6\/8:6\.6\.6\.1<\/b> \\\\o\/"$/,
    );
    const con = consoleOf(withEnv.instanceId);
    expect(con).toContain("unikernel: env: 2 variables: GREETING TRICKY");
    expect(con).not.toContain("hi there");
    expect(con).toMatch(/listening on \d+\.\d+\.\d+\.\d+:8080/);
    expect(con).not.toContain("6.6.6.6:8080");
    await driver.stop(withEnv.instanceId, 0);
  });

  it("refuses a command, args, or an env the command line cannot carry, before booting anything", async () => {
    const refused: [Partial<InstanceSpec>, RegExp][] = [
      [{ command: ["/bin/hello"] }, /^command: a unikernel runs the one program linked into it/],
      [{ args: ["-v"] }, /^args: /],
      [{ env: { LINE: "a\nb" } }, /^env\.LINE: has a control character/],
    ];
    for (const [change, message] of refused) {
      const s = instanceSpec({ ...spec, instanceId: randomUUID(), ...change });
      await expect(driver.start(s)).rejects.toThrow(message);
      expect(await driver.inspect(s.instanceId)).toBeNull();
    }
  });

  it("answers ICMP echo on its address through the tenant bridge", () => {
    const ip = consoleOf().match(/listening on (\d+\.\d+\.\d+\.\d+):8080/)?.[1] as string;
    expect(ip).toBeDefined();
    const out = execFileSync("ping", ["-c", "3", "-i", "0.2", "-W", "2", ip], { encoding: "utf8" });
    expect(out).toMatch(/3 received/);
  });

  it("runs QEMU jailed with the kernel bound read-only, and reports the console and the cgroup", async () => {
    const pid = record().pid as number;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${record().uid}\\s`, "m"));
    expect(record().uid).toBeGreaterThan(0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    expect(cmdline).toContain("/guest/kernel");
    expect(cmdline.join(" ")).toMatch(/netdev\.ip=\d+\.\d+\.\d+\.\d+\/\d+:\d+\.\d+\.\d+\.\d+/);
    const mounts = readFileSync(`/proc/${pid}/mounts`, "utf8");
    expect(mounts).toMatch(/ \/guest\/kernel \S+ ro,/);
    const lines: string[] = [];
    for await (const line of driver.logs(spec.instanceId, { follow: false })) lines.push(line);
    expect(lines.join("\n")).toMatch(/unikernel: hello\S* booting/);
    expect(lines.join("\n")).toMatch(/listening on \S+:8080/);
    const usage = await driver.metrics(spec.instanceId);
    expect(usage?.memoryLimitBytes).toBe(ukMemoryLimitBytes(32));
    expect(usage?.cpuNs).toBeGreaterThan(0);
    const rss = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1]);
    console.log(
      `QEMU RSS ${Math.round(rss / 1024)} MiB, cgroup memory ${Math.round((usage?.memoryBytes ?? 0) / 2 ** 20)} MiB`,
    );
  });

  it("is adopted by a second driver object (an agent restart), which stops it and cleans up", async () => {
    const adopted = newDriver();
    expect((await adopted.inspect(spec.instanceId))?.state).toBe("running");
    expect((await adopted.list()).map((s) => s.instanceId)).toContain(spec.instanceId);
    const pid = record().pid as number;
    const stopped = await adopted.stop(spec.instanceId, 5000);
    expect(stopped).toMatchObject({ state: "stopped", exitCode: 143 });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(() => execFileSync("ip", ["link", "show", tapName(spec.instanceId)], { stdio: "pipe" })).toThrow();
    expect((await driver.inspect(spec.instanceId))?.state).toBe("stopped");
    expect(await driver.metrics(spec.instanceId)).toBeNull();
  });

  it("refuses an OCI container image, saying why", async () => {
    const wrong = instanceSpec({ instanceId: randomUUID(), tenantId, image: HELLO, isolation: "unikernel" });
    await expect(driver.start(wrong)).rejects.toThrow(/is an OCI container image, not a unikernel artifact/);
  });

  it("reports a halt as exited with its code, and an exception as failed with the line", async () => {
    const halts = instanceSpec({
      instanceId: randomUUID(),
      tenantId,
      image: `${bootTest}-halt`,
      isolation: "unikernel",
    });
    const crashes = instanceSpec({
      instanceId: randomUUID(),
      tenantId,
      image: `${bootTest}-crash`,
      isolation: "unikernel",
    });
    ids.push(halts.instanceId, crashes.instanceId);
    for (const s of [halts, crashes]) {
      const started = await driver.start(s);
      expect(["running", "exited", "failed"]).toContain(started.state);
    }
    const settle = async (id: string) => {
      for (let i = 0; i < 200; i++) {
        const st = await driver.inspect(id);
        if (st && !["running", "starting"].includes(st.state)) return st;
        await new Promise((r) => setTimeout(r, 50));
      }
      return driver.inspect(id);
    };
    const h = await settle(halts.instanceId);
    expect(h?.exitCode, JSON.stringify(h)).toBe(0);
    const c = await settle(crashes.instanceId);
    expect(c?.state, JSON.stringify(c)).toBe("failed");
    expect(c?.reason).toMatch(/unikernel: exception 14 \(stack overflow\)/);
    expect(c?.exitCode).toBe(142);
  });

  it("boots a multiboot kernel packaged by a third party the same way", async () => {
    const mb = instanceSpec({ instanceId: randomUUID(), tenantId, image: multiboot, isolation: "unikernel" });
    ids.push(mb.instanceId);
    const started = await driver.start(mb);
    expect(["running", "exited"], JSON.stringify(started)).toContain(started.state);
    for (let i = 0; i < 100 && (await driver.inspect(mb.instanceId))?.state === "running"; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await driver.inspect(mb.instanceId)).toMatchObject({ state: "exited", exitCode: 0 });
    expect(consoleOf(mb.instanceId)).toContain("unikernel: mb booting");
  });
});
