// The container driver against the real runc, tini, overlayfs and network namespaces (root only).
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceSpec, InstanceStatus } from "../../driver";
import { createLog } from "../../log";
import { ContainerDriver } from "./driver";
import { idRangeBase, idRangeSize } from "./ids";
import {
  busyboxLayer,
  instanceSpec,
  LayerImages,
  NetnsNetwork,
  requireHostTools,
  serverLayer,
  tempDir,
} from "./testkit";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tenant = randomUUID();
let data: string;
let images: LayerImages;
const network = new NetnsNetwork();
let driver: ContainerDriver;
const started: string[] = [];

let twoLayers: LayerImages | undefined;
async function twoLayerImages(): Promise<LayerImages> {
  twoLayers ??= new LayerImages([join(data, "layer0"), await serverLayer(join(data, "layer1"))], {
    entrypoint: ["/srv/server"],
    cmd: ["8080"],
  });
  return twoLayers;
}

function newDriver(pidsLimit?: number, imageStore: LayerImages = images) {
  return new ContainerDriver({
    dataDir: join(data, "agent"),
    images: imageStore,
    network,
    log: createLog({ level: "warn" }),
    ...(pidsLimit ? { pidsLimit } : {}),
  });
}

async function start(cmd: string, over: Partial<InstanceSpec> = {}, d = driver) {
  const spec = instanceSpec({
    instanceId: randomUUID(),
    tenantId: tenant,
    command: ["sh", "-c", cmd],
    ...over,
  });
  started.push(spec.instanceId);
  const t0 = performance.now();
  const status = await d.start(spec);
  return { id: spec.instanceId, status, ms: performance.now() - t0 };
}

function runcState(id: string): { pid: number; status: string } {
  const out = execFileSync("runc", ["--root", join(data, "agent/runc"), "state", id], { encoding: "utf8" });
  return JSON.parse(out);
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(25);
  }
}

const ended = (id: string) =>
  until(async () => {
    const s = await driver.inspect(id);
    return s && (s.state === "exited" || s.state === "failed") ? s : undefined;
  });

async function consoleText(id: string): Promise<string> {
  const lines: string[] = [];
  for await (const line of driver.logs(id, { follow: false })) lines.push(line);
  return lines.join("\n");
}

// The container's cgroup files, on a v1 (hybrid) host or a v2 (unified) one.
const v2 = !existsSync("/sys/fs/cgroup/memory");
function cgroupRead(id: string, v1: string, v2file: string): string {
  const path = v2 ? `/sys/fs/cgroup/berth/${id}/${v2file}` : `/sys/fs/cgroup/${v1.replace("ID", id)}`;
  return readFileSync(path, "utf8").trim();
}
const memoryLimit = (id: string) =>
  Number(cgroupRead(id, "memory/berth/ID/memory.limit_in_bytes", "memory.max"));
const cpuQuota = (id: string) =>
  Number(cgroupRead(id, "cpu/berth/ID/cpu.cfs_quota_us", "cpu.max").split(" ")[0]);
const pidsMax = (id: string) => cgroupRead(id, "pids/berth/ID/pids.max", "pids.max");
/** Nanoseconds of cpu the container used. */
const cpuUsageNs = (id: string) =>
  v2
    ? Number(cgroupRead(id, "", "cpu.stat").match(/^usage_usec (\d+)/m)?.[1]) * 1000
    : Number(cgroupRead(id, "cpuacct/berth/ID/cpuacct.usage", ""));

/** Host pids of the container's processes. */
function cgroupPids(id: string): number[] {
  try {
    return cgroupRead(id, "pids/berth/ID/cgroup.procs", "cgroup.procs")
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  requireHostTools();
  data = await tempDir("berth-container-");
  await chmod(data, 0o711);
  images = new LayerImages([await busyboxLayer(join(data, "layer0"))]);
  driver = newDriver();
});

afterAll(async () => {
  for (const id of started) await driver?.stop(id, 0).catch(() => {});
  for (const name of network.names) execFileSync("ip", ["netns", "del", name]);
  const mounted = readFileSync("/proc/self/mountinfo", "utf8").includes(data);
  if (data && !mounted) await rm(data, { recursive: true, force: true });
});

describe("the container driver with runc", () => {
  it("runs a busybox workload as an unprivileged host uid, in its own pid namespace and hostname", async () => {
    const { id, status, ms } = await start(
      "echo pids=$(ls -d /proc/[0-9]* | wc -l); echo host=$(hostname); echo etc=$(cat /etc/hostname) $(grep -c localhost /etc/hosts); echo uid=$(id -u); sleep 1000",
    );
    console.log(`time to running: ${ms.toFixed(0)} ms`);
    expect(status).toMatchObject({ state: "running", instanceId: id, generation: 1 });
    const { pid } = runcState(id);
    const uidLine = readFileSync(`/proc/${pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m);
    const hostUid = Number(uidLine?.[1]);
    expect(hostUid).toBeGreaterThanOrEqual(idRangeBase);
    expect((hostUid - idRangeBase) % idRangeSize).toBe(0);
    // Its directory on the host: searchable by its tenant's root group only.
    const dir = statSync(join(data, "agent/instances", id));
    expect([dir.mode & 0o777, dir.uid, dir.gid]).toEqual([0o710, 0, hostUid]);
    const text = await until(async () =>
      (await consoleText(id)).includes("uid=") ? consoleText(id) : undefined,
    );
    expect(text).toContain("uid=0");
    expect(text).toContain(`host=test-${id.slice(0, 8)}`);
    expect(text).toContain(`etc=test-${id.slice(0, 8)} 2`);
    // tini, sh, ls, wc and the subshell at most: none of the host's hundreds of processes.
    expect(Number(text.match(/pids=(\d+)/)?.[1])).toBeLessThanOrEqual(6);
    // The cgroups (v1 here, v2 on unified hosts) hold the limits.
    expect(memoryLimit(id)).toBe(64 * 1024 * 1024);
    expect(cpuQuota(id)).toBe(50_000);
    expect(pidsMax(id)).toBe("512");
    const m = await driver.metrics(id);
    expect(m?.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(m?.memoryBytes).toBeGreaterThan(0);
    expect(m?.pids).toBeGreaterThanOrEqual(2); // tini and sleep
    expect(m?.pidsLimit).toBe(512);
    expect(m?.cpuNs).toBeGreaterThan(0);
    expect(await driver.metrics(randomUUID())).toBeNull();
  });

  it("runs the image's non-root USER as the matching id of the tenant's range", async () => {
    const asNobody = new LayerImages([join(data, "layer0")], { user: "nobody" });
    const { id } = await start("id; sleep 1000", {}, newDriver(undefined, asNobody));
    const { pid } = runcState(id);
    const hostUid = Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m)?.[1]);
    expect((hostUid - idRangeBase) % idRangeSize).toBe(65534);
    const text = await until(async () =>
      (await consoleText(id)).includes("uid=") ? consoleText(id) : undefined,
    );
    expect(text).toContain("uid=65534(nobody) gid=65534(nogroup)");
  });

  it("reports the workload's exit code; the image is read-only below, /tmp writable, seccomp denies unshare and mount", async () => {
    const { id } = await start(
      "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; echo owner=$(stat -c %u:%g /bin/busybox); touch /tmp/x && echo tmp=ok; echo hi > /bin/new && echo bin=ok; unshare -U true; echo unshare=$?; echo x > /dev/init || echo init=ro; echo x > /etc/hosts || echo hosts=ro; mount -t tmpfs none /tmp; echo mount=$?; exit 7",
    );
    const s = await ended(id);
    expect(s).toMatchObject({ state: "exited", exitCode: 7 });
    const text = await consoleText(id);
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE AUDIT_WRITE SETFCAP
    expect(text).toMatch(/^CapEff:\s+00000000a00005fb$/m);
    expect(text).toMatch(/^CapBnd:\s+00000000a00005fb$/m);
    expect(text).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(text).toMatch(/^Seccomp:\s+2$/m);
    expect(text).toContain("owner=0:0"); // host root's files are root's inside (idmapped layers)
    expect(text).toContain("tmp=ok");
    expect(text).toContain("bin=ok"); // written to the instance's upper layer...
    expect(existsSync(join(data, "layer0/bin/new"))).toBe(false); // ...never to the image's layer
    expect(text).toMatch(/unshare: .*Operation not permitted/);
    expect(text).toContain("unshare=1");
    expect(text).toContain("init=ro"); // the host's files bound in are read-only
    expect(text).toContain("hosts=ro");
    expect(text).toMatch(/mount=[1-9]/);
  });

  it("stops gracefully on SIGTERM, and kills a TERM-ignoring workload after the grace", async () => {
    const graceful = await start("sleep 1000");
    let t0 = performance.now();
    const a = await driver.stop(graceful.id, 5000);
    const gracefulMs = performance.now() - t0;
    console.log(`graceful stop: ${gracefulMs.toFixed(0)} ms`);
    expect(a).toMatchObject({ state: "stopped", exitCode: 143 });
    expect(gracefulMs).toBeLessThan(2000);

    const stubborn = await start("trap '' TERM; sleep 1000 & wait; sleep 1000");
    await sleep(200);
    t0 = performance.now();
    const b = await driver.stop(stubborn.id, 700);
    const killMs = performance.now() - t0;
    console.log(`stop after grace 700 ms: ${killMs.toFixed(0)} ms`);
    expect(b).toMatchObject({ state: "stopped", exitCode: 137 });
    expect(b.reason).toBeUndefined();
    expect(killMs).toBeGreaterThanOrEqual(700);
    expect(killMs).toBeLessThan(3000);
    expect(await driver.inspect(stubborn.id)).toMatchObject({ state: "stopped", exitCode: 137 });
  });

  it("ends a memory hog with the OOM killer at its memory limit", async () => {
    const { id } = await start('x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived', {
      memoryMiB: 16,
    });
    const s = await ended(id);
    expect(s).toMatchObject({ state: "exited", exitCode: 137, reason: "OOMKilled" });
    expect(await consoleText(id)).not.toContain("survived");
  });

  it("holds the pids limit against a fork loop", async () => {
    const limited = newDriver(32);
    const { id } = await start(
      // The inner shell gives up at the first failed fork; the outer one keeps the cgroup alive.
      "sh -c 'i=0; while [ $i -lt 100 ]; do sleep 1000 & i=$((i+1)); done; echo spawned all'; echo outer; sleep 1000",
      {},
      limited,
    );
    const text = await until(async () => {
      const t = await consoleText(id);
      return t.includes("outer") ? t : undefined;
    });
    expect(text).toMatch(/can't fork|Resource temporarily unavailable/);
    expect(text).not.toContain("spawned all");
    expect(pidsMax(id)).toBe("32");
    expect(cgroupPids(id).length).toBeLessThanOrEqual(32);
    await limited.stop(id, 0);
  });

  it("stops a real fork bomb at the pids limit while the host stays responsive", async () => {
    const limited = newDriver(64);
    const { id } = await start("b() { b | b & }; b; sleep 1000", {}, limited);
    // the host spawns a process and gets its answer while the bomb runs, every time, promptly
    let slowest = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      expect(execFileSync("/bin/true", { timeout: 5000 }).length).toBe(0);
      slowest = Math.max(slowest, performance.now() - t);
      await sleep(100);
    }
    expect(cgroupPids(id).length).toBeLessThanOrEqual(64);
    expect(pidsMax(id)).toBe("64");
    // the kernel refused forks at the limit: the bomb really hit it
    const refused = /max (\d+)/.exec(cgroupRead(id, "pids/berth/ID/pids.events", "pids.events"))?.[1];
    expect(Number(refused)).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(2000);
    expect((await limited.stop(id, 0)).state).toMatch(/stopped|exited/);
  });

  it("reaps orphaned children: no zombies stay behind", async () => {
    const { id } = await start("for i in 1 2 3 4 5; do (sleep 0.2 &); done; sleep 1000");
    await sleep(1500);
    const pids = cgroupPids(id);
    expect(pids.length).toBeGreaterThanOrEqual(2); // tini and sh
    const states = pids.map((p) => readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.[0]);
    expect(states).not.toContain("Z");
    // tini and the shell (which execs its last command, sleep 1000): the five orphans are gone.
    expect(pids.length).toBe(2);
  });

  it("is adopted, still running with the same pid, by a new driver on the same data dir", async () => {
    const { id } = await start("echo before; sleep 1000");
    const before = runcState(id);
    const second = newDriver();
    const seen = (await second.list()).find((s: InstanceStatus) => s.instanceId === id);
    expect(seen).toMatchObject({ state: "running", generation: 1 });
    expect(await second.inspect(id)).toMatchObject({ state: "running" });
    expect(runcState(id).pid).toBe(before.pid);
    // A start of the same generation is the same start: nothing restarts.
    const again = await second.start(instanceSpec({ instanceId: id, tenantId: tenant, command: ["true"] }));
    expect(again.state).toBe("running");
    expect(runcState(id).pid).toBe(before.pid);
    const stopped = await second.stop(id, 2000);
    expect(stopped).toMatchObject({ state: "stopped", exitCode: 143 });
    expect(await readFile(join(data, "agent/instances", id, "console.log"), "utf8")).toContain("before");
  });

  it("keeps running and logging when the agent process is killed with SIGKILL, and is adopted", async () => {
    const id = randomUUID();
    started.push(id);
    // A separate agent process: it starts the container, says so, and is then killed -9.
    const script = join(data, "agent-process.mts");
    const here = new URL(".", import.meta.url).pathname;
    await writeFile(
      script,
      `import { ContainerDriver } from ${JSON.stringify(join(here, "driver.ts"))};
import { LayerImages, NetnsNetwork, instanceSpec } from ${JSON.stringify(join(here, "testkit.ts"))};
import { createLog } from ${JSON.stringify(join(here, "../../log.ts"))};
const d = new ContainerDriver({ dataDir: ${JSON.stringify(join(data, "agent"))}, images: new LayerImages([${JSON.stringify(join(data, "layer0"))}]), network: new NetnsNetwork(), log: createLog({ level: "warn" }) });
const s = await d.start(instanceSpec({ instanceId: ${JSON.stringify(id)}, tenantId: ${JSON.stringify(tenant)}, command: ["sh", "-c", "i=0; while :; do echo tick$i; i=$((i+1)); sleep 0.1; done"] }));
console.log(s.state);
setInterval(() => {}, 1000);
`,
    );
    const agent = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const state = await new Promise<string>((resolve) =>
      agent.stdout.once("data", (b) => resolve(String(b).trim())),
    );
    expect(state).toBe("running");
    const before = runcState(id);
    agent.kill("SIGKILL");
    await new Promise((r) => agent.once("exit", r));
    const ticks = () =>
      (readFileSync(join(data, "agent/instances", id, "console.log"), "utf8").match(/tick/g) ?? []).length;
    const n = ticks();
    await sleep(500);
    expect(ticks()).toBeGreaterThan(n); // still writing to console.log with no agent
    const adopted = await newDriver().inspect(id);
    expect(adopted).toMatchObject({ state: "running", generation: 1 });
    expect(runcState(id).pid).toBe(before.pid);
    expect(await driver.stop(id, 2000)).toMatchObject({ state: "stopped", exitCode: 143 });
  });

  it("stops a container whose shim was killed without waiting out the grace", async () => {
    const { id } = await start("sleep 1000");
    const shim = readFileSync(`/proc/${runcState(id).pid}/stat`, "utf8")
      .split(") ")[1]
      ?.split(" ")[1];
    process.kill(Number(shim), "SIGKILL");
    const t0 = performance.now();
    const s = await driver.stop(id, 10_000);
    expect(s.state).toBe("stopped");
    expect(s.exitCode).toBeUndefined(); // nobody was left to learn it
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("learns the exit code of a container that ends after its adoption, with its lines logged", async () => {
    const { id } = await start("echo one; sleep 0.5; echo two; exit 3");
    const second = newDriver();
    expect((await second.inspect(id))?.state).toBe("running");
    const s = await until(async () => {
      const x = await second.inspect(id);
      return x?.state === "exited" ? x : undefined;
    });
    expect(s).toMatchObject({ exitCode: 3, reason: "exited with code 3" });
    expect(await readFile(join(data, "agent/instances", id, "console.log"), "utf8")).toBe("one\ntwo\n");
  });

  it("serves HTTP from a static C server on a two-layer image, inside its network namespace", async () => {
    const d = newDriver(undefined, await twoLayerImages());
    const { id, status } = await start("", { command: [], ports: [{ port: 8080, protocol: "tcp" }] }, d);
    expect(status.state).toBe("running");
    const get = () =>
      execFileSync(
        "ip",
        ["netns", "exec", `berth-ct-${id.slice(0, 8)}`, "busybox", "wget", "-qO-", "http://127.0.0.1:8080/"],
        { encoding: "utf8" },
      );
    expect(
      await until(async () => {
        try {
          return get();
        } catch {
          return undefined;
        }
      }),
    ).toBe("hello\n");
    expect(await d.stop(id, 2000)).toMatchObject({ state: "stopped", exitCode: 143 });
  });

  it("denies keyctl, ptrace, unshare, mount (cgroupfs too), bpf, new namespaces and sethostname", async () => {
    const d = newDriver(undefined, await twoLayerImages());
    const { id } = await start("", { command: ["/srv/probe"] }, d);
    expect(await ended(id)).toMatchObject({ state: "exited", exitCode: 0 });
    const results = Object.fromEntries((await consoleText(id)).split("\n").map((l) => l.split("=")));
    const EPERM = "1";
    expect(results).toEqual({
      keyctl: EPERM,
      ptrace: EPERM,
      unshare: EPERM,
      unshare_ns: EPERM,
      mount: EPERM,
      cgroupfs: EPERM,
      // /sys is an empty read-only tmpfs: no cgroup hierarchy, no release_agent to write
      release_agent: "2",
      release_agent_root: "2",
      bpf: EPERM,
      clone_newpid: EPERM,
      sethostname: EPERM,
      personality_query: "0",
      personality_exec: EPERM,
    });
  });

  it("runs a glibc program with threads, fork and exec under the seccomp profile", async () => {
    const d = newDriver(undefined, await twoLayerImages());
    const { id } = await start("", { command: ["/srv/threads"] }, d);
    expect(await ended(id)).toMatchObject({ state: "exited", exitCode: 0 });
    expect(await consoleText(id)).toBe("thread ok\nchild exit=5\nexec ok");
  });

  it("holds the cpu quota within 15 %", async () => {
    const { id } = await start("while :; do :; done", { cpuMillis: 250 });
    const usage = () => cpuUsageNs(id);
    await sleep(300);
    const [u0, t0] = [usage(), performance.now()];
    await sleep(2000);
    const share = (usage() - u0) / 1e6 / (performance.now() - t0);
    console.log(`cpu share at cpuMillis 250: ${share.toFixed(3)}`);
    expect(share).toBeGreaterThan(0.25 * 0.85);
    expect(share).toBeLessThan(0.25 * 1.15);
    await driver.stop(id, 0);
  });

  it("undoes a start that fails half way: no netns, no mounts, no record", async () => {
    const ghost = new LayerImages([join(data, "layer0")], { user: "ghost" });
    const d = newDriver(undefined, ghost);
    const spec = instanceSpec({ instanceId: randomUUID(), tenantId: tenant, command: ["true"] });
    await expect(d.start(spec)).rejects.toThrow(/user "ghost" is not in the image's \/etc\/passwd/);
    expect(network.names.has(`berth-ct-${spec.instanceId.slice(0, 8)}`)).toBe(false);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(spec.instanceId);
    expect(await d.inspect(spec.instanceId)).toBeNull();
  });

  it("refuses, saying why, a data dir below a directory others cannot search", async () => {
    const closed = await tempDir("berth-closed-"); // mkdtemp makes it 0700
    const d = new ContainerDriver({
      dataDir: join(closed, "agent"),
      images,
      network,
      log: createLog({ level: "warn" }),
    });
    const spec = instanceSpec({ instanceId: randomUUID(), tenantId: tenant, command: ["true"] });
    await expect(d.start(spec)).rejects.toThrow(/is not searchable by others/);
    expect(await d.list()).toEqual([]);
    await rm(closed, { recursive: true, force: true });
  });

  it("follows the console log while the workload writes", async () => {
    const { id } = await start("for i in 1 2 3; do echo line$i; sleep 0.2; done");
    const lines: string[] = [];
    for await (const line of driver.logs(id, { follow: true })) lines.push(line);
    expect(lines).toEqual(["line1", "line2", "line3"]);
    expect(await driver.inspect(id)).toMatchObject({ state: "exited", exitCode: 0 });
  });
});
