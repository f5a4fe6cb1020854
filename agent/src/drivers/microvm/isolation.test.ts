// What a workload sees from inside a micro-VM, through the real driver (QEMU jailed by berth-jailer,
// TCG, a tap on a real tenant network, the hello image from the local registry): its own kernel,
// none of the host's processes or files, a root that is the image's; and how far a memory hog gets
// in a VM of 128 MiB. The probes are the workloads: busybox scripts (the deployment's command
// override) that print their findings on the console, read back through driver.logs().
// The host side of the jail (QEMU's unprivileged uid, no capabilities, no_new_privs, seccomp, its
// own cgroups and mount namespace) is proven in integration.test.ts ("runs QEMU jailed").
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceSpec } from "../../driver";
import { HELLO } from "../../images/testing";
import { instanceSpec } from "../container/testkit";
import { cgroupPathOf, cgroupProcs } from "./cgroup";
import { loadGuestKernel } from "./guest";
import { consoleLines, fieldOf, sleep, startRunning, untilEnded, type VmEnv, vmEnv } from "./isolationkit";
import { guestMemoryMiB, memoryLimitBytes, vmmOverheadMiB } from "./qemu";
import type { VmRecord } from "./records";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
const tenant = randomUUID();
const ids: string[] = [];
let env: VmEnv;
let inside: string[] = [];
let markers: string[] = [];

function vm(name: string, script: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  const s = instanceSpec({
    instanceId: randomUUID(),
    tenantId: tenant,
    name,
    image: HELLO,
    isolation: "microvm",
    cpuMillis: 1000,
    memoryMiB: 128,
    command: ["/bin/busybox", "sh", "-c", script],
    ...over,
  });
  ids.push(s.instanceId);
  return s;
}

// Prints the kernel, every pid of /proc with its parent and command line, whether each host path
// in $MARKERS exists, every file of its root disk holding the markers' text, the root's entries,
// the mounts, the block devices and the network interfaces.
const insideScript = `echo "uname $(uname -r)"
echo "cmdline $(cat /proc/cmdline)"
for p in /proc/[0-9]*; do
  read -r stat < $p/stat || continue
  set -- \${stat##*) }
  echo "proc \${p#/proc/} ppid=$2 cmd=$(tr '\\0' ' ' < $p/cmdline)"
done
for f in $MARKERS; do if [ -e "$f" ]; then echo "path $f present"; else echo "path $f absent"; fi; done
echo "marker-files $(find / -xdev -type f | xargs grep -l berth-host-marker | tr '\\n' ' ')."
echo "root $(ls -a / | tr '\\n' ' ')"
while read -r dev dir fs rest; do echo "mount $dev $dir $fs"; done < /proc/mounts
echo "block $(ls /sys/block | tr '\\n' ' ')"
echo "net $(ls /sys/class/net | tr '\\n' ' ')"
echo inside-done`;

const field = (prefix: string) => fieldOf(inside, prefix);

beforeAll(async () => {
  env = await vmEnv({ prefix: "berth-vm-iso-", poolBase: 60, portBase: 14000 });
  // Files the guest must not see: in the host's /tmp, in the agent's data dir, in the VM's own
  // instance directory (its console and disk overlay live there), and the repository.
  const token = `berth-host-marker-${randomUUID()}`;
  const s = vm("inside", insideScript, { memoryMiB: 64 });
  const instanceDir = join(env.data, "microvm/instances", s.instanceId);
  markers = [join("/tmp", token), join(env.data, token), join(env.data, "microvm", token)];
  await mkdir(join(env.data, "microvm"), { recursive: true });
  for (const m of markers) await writeFile(m, `${token}\n`);
  s.env = { MARKERS: [...markers, instanceDir, join(instanceDir, "console.log"), repoRoot].join(" ") };
  await startRunning(env.driver, s);
  expect(await untilEnded(env.driver, s.instanceId)).toMatchObject({ state: "exited", exitCode: 0 });
  inside = await consoleLines(env.driver, s.instanceId);
  expect(inside, inside.slice(-30).join("\n")).toContain("inside-done");
}, 120_000);

afterAll(async () => {
  for (const m of markers) await rm(m, { force: true });
  await env?.cleanup(ids);
}, 60_000);

describe("inside a micro-VM", () => {
  it("runs the guest kernel, not the host's: uname -r and the command line are the guest's", async () => {
    const kernel = await loadGuestKernel();
    const host = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
    expect(kernel?.version).toMatch(/^\d+\.\d+/);
    expect(field("uname")).toBe(kernel?.version);
    expect(field("uname")).not.toBe(host);
    expect(field("cmdline")).toMatch(/berth\.ip=\S+ berth\.gw=\S+/);
    expect(field("cmdline")).not.toBe(readFileSync("/proc/cmdline", "utf8").trim());
  });

  it("sees no host process: berth-init and the workload's shell are its only user processes", () => {
    const procs = inside
      .map((l) => /^proc (\d+) ppid=(\d+) cmd=(.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), cmd: (m[3] as string).trim() }));
    const hostPids = readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
    console.log(`guest pids: ${procs.length} (host: ${hostPids}); user processes:`);
    // The guest kernel's own threads are kthreadd (2) and its children; everything else is user space.
    const user = procs.filter((p) => p.pid !== 2 && p.ppid !== 2);
    for (const p of user) console.log(`  ${p.pid} (parent ${p.ppid}): ${p.cmd}`);
    expect(procs.length).toBeGreaterThan(10);
    expect(user.find((p) => p.pid === 1)?.cmd).toBe("/init");
    // The workload's shell, berth-init's child (the loop's glob was expanded before its subshells).
    expect(user).toHaveLength(2);
    expect(user.find((p) => p.pid !== 1)).toMatchObject({
      ppid: 1,
      cmd: expect.stringMatching(/^\/bin\/busybox sh -c echo "uname/),
    });
    const mine = readFileSync(`/proc/${process.pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    for (const p of procs) expect(p.cmd).not.toBe(mine);
    expect(procs.some((p) => /node|vitest|qemu|berth-jailer|postgres|redis/.test(p.cmd))).toBe(false);
  });

  it("sees none of the host's files: the markers, the instance directory and the repository are absent", () => {
    const paths = inside.filter((l) => l.startsWith("path "));
    expect(paths.length).toBe(markers.length + 3);
    for (const line of paths) expect(line).toMatch(/ absent$/);
    // Not under another name either: no file of the guest's root disk holds the markers' text.
    expect(field("marker-files")).toBe(".");
  });

  it("has the image's root filesystem as / on its own disk, and only its own disk and interface", async () => {
    const image = await env.images.ensure(HELLO);
    const top = new Set(image.layers.flatMap((dir) => readdirSync(dir)));
    // mkfs.ext4 -d adds lost+found; nothing else is there that the image did not bring.
    const root = field("root")
      .split(" ")
      .filter((e) => e && e !== "." && e !== "..");
    expect(new Set(root)).toEqual(new Set([...top, "lost+found"]));
    expect(root).toContain("bin");
    const mounts = inside.filter((l) => l.startsWith("mount ")).map((l) => l.split(" ").slice(1));
    console.log(`guest mounts: ${mounts.map((m) => m.join(" ")).join("; ")}`);
    expect(mounts).toContainEqual(["/dev/vda", "/", "ext4"]);
    // No shared host filesystem of any kind (9p, virtiofs, NFS, FUSE, a bind of an overlay).
    for (const [, , fs] of mounts) expect(["ext4", "proc", "sysfs", "devtmpfs", "rootfs"]).toContain(fs);
    expect(field("block").trim()).toBe("vda");
    expect(field("net").trim().split(" ").sort()).toEqual(["eth0", "lo"]);
  });
});

// Three ways past the VM's RAM, one after the other, busybox only (a shell building a huge string
// is too slow under TCG to reach the limit): a tmpfs filled with dd (its default size is half the
// guest's RAM); one dd whose buffer is twice the VM; four dd holding 40 MiB each at once (each
// blocked writing its buffer into a pipe nobody reads), 160 MiB in all. Then the workload sleeps,
// so the host can look at QEMU after the fact.
const hogScript = `echo "memtotal $(sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo)"
mkdir -p /tmp/fill && mount -t tmpfs none /tmp/fill
dd if=/dev/zero of=/tmp/fill/f bs=1M count=1024 2>/dev/null; echo "tmpfs-dd rc=$?"
echo "tmpfs-bytes $(wc -c < /tmp/fill/f)"
rm /tmp/fill/f
dd if=/dev/zero of=/dev/null bs=256M count=1; echo "big rc=$?"
for i in 1 2 3 4; do
  { dd if=/dev/zero bs=40M count=1 2>/dev/null; echo "hog$i rc=$?" >&2; } | sleep 15 &
done
wait
echo hog-done
exec sleep 1000`;

const memCgroup = (id: string) =>
  existsSync("/sys/fs/cgroup/memory")
    ? join("/sys/fs/cgroup/memory", cgroupPathOf(id))
    : join("/sys/fs/cgroup", cgroupPathOf(id));
const kib = (pid: number, key: string) =>
  Number(readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1]);

describe("a memory hog in a micro-VM of 128 MiB", () => {
  it("gets no more than the guest's RAM (a full tmpfs, a refused allocation, the guest's OOM killer); QEMU and the host carry on", async () => {
    const s = vm("hog", hogScript, { memoryMiB: 128 });
    await startRunning(env.driver, s);
    const record = JSON.parse(
      readFileSync(join(env.data, "microvm/instances", s.instanceId, "record.json"), "utf8"),
    ) as VmRecord;
    const pid = record.pid as number;
    const cg = memCgroup(s.instanceId);
    // The host while the guest fills its memory: the VMM cgroup's usage, and how long it takes the
    // host to spawn a process.
    let lines: string[] = [];
    let peakUsage = 0;
    let slowest = 0;
    const deadline = Date.now() + 120_000;
    while (!lines.includes("hog-done") && Date.now() < deadline) {
      const file = existsSync(join(cg, "memory.usage_in_bytes")) ? "memory.usage_in_bytes" : "memory.current";
      peakUsage = Math.max(peakUsage, Number(readFileSync(join(cg, file), "utf8")));
      const t = performance.now();
      execFileSync("/bin/true", { timeout: 5000 });
      slowest = Math.max(slowest, performance.now() - t);
      await sleep(200);
      lines = await consoleLines(env.driver, s.instanceId);
    }
    const text = lines.join("\n");
    expect(lines, text.slice(-3000)).toContain("hog-done");
    const memTotalKiB = Number(fieldOf(lines, "memtotal"));
    const hwmMiB = kib(pid, "VmHWM") / 1024;
    console.log(
      `guest MemTotal ${Math.round(memTotalKiB / 1024)} MiB, tmpfs took ${Math.round(Number(fieldOf(lines, "tmpfs-bytes")) / 2 ** 20)} MiB; ` +
        `QEMU peak RSS ${Math.round(hwmMiB)} MiB, VMM cgroup peak sampled ${Math.round(peakUsage / 2 ** 20)} MiB ` +
        `(limit ${memoryLimitBytes(128) / 2 ** 20}); slowest host spawn ${Math.round(slowest)} ms`,
    );
    // The guest has the VM's size and no more.
    expect(memTotalKiB).toBeGreaterThan(64 * 1024);
    expect(memTotalKiB).toBeLessThanOrEqual(128 * 1024);
    // tmpfs: the write fails when the filesystem is full, at half the guest's RAM.
    expect(fieldOf(lines, "tmpfs-dd")).toBe("rc=1");
    expect(Number(fieldOf(lines, "tmpfs-bytes"))).toBeLessThanOrEqual((memTotalKiB * 1024) / 2);
    // Twice the VM in one allocation: refused outright.
    expect(text).toContain("dd: out of memory");
    expect(fieldOf(lines, "big")).toBe("rc=1");
    // 160 MiB at once: the guest's OOM killer ends dd processes (SIGKILL: 137) until the rest fit.
    const hogs = [1, 2, 3, 4].map((i) => fieldOf(lines, `hog${i}`));
    console.log(`the four 40 MiB hogs: ${hogs.join(", ")}`);
    const killed = hogs.filter((h) => h === "rc=137").length;
    expect(killed).toBeGreaterThanOrEqual(1);
    // The others held their 40 MiB until sleep ended and the pipe broke (SIGPIPE: 141).
    for (const h of hogs) expect(h).toMatch(/^rc=(137|141)$/);
    expect((4 - killed) * 40 * 1024).toBeLessThanOrEqual(memTotalKiB);
    expect(text).toMatch(/Out of memory: Killed process \d+ \(dd\)/);
    // On the host: QEMU is alive and was never near its cgroup's limit; no host OOM kill in it.
    expect((await env.driver.inspect(s.instanceId))?.state).toBe("running");
    expect(hwmMiB).toBeLessThanOrEqual(guestMemoryMiB(128) + vmmOverheadMiB);
    // The cgroup measured is QEMU's own; its peak as the kernel kept it (v1; v2 since Linux 5.19).
    expect(await cgroupProcs(s.instanceId)).toContain(pid);
    const peakFile = ["memory.max_usage_in_bytes", "memory.peak"].map((f) => join(cg, f)).find(existsSync);
    if (peakFile) peakUsage = Math.max(peakUsage, Number(readFileSync(peakFile, "utf8")));
    console.log(`VMM cgroup peak ${Math.round(peakUsage / 2 ** 20)} MiB`);
    expect(peakUsage).toBeLessThan(memoryLimitBytes(128));
    const oomKills = existsSync(join(cg, "memory.oom_control"))
      ? readFileSync(join(cg, "memory.oom_control"), "utf8")
      : readFileSync(join(cg, "memory.events"), "utf8");
    expect(oomKills).toMatch(/^oom_kill 0$/m);
    expect(slowest).toBeLessThan(2000);
    // The workload after the hog: still there, ended by stop's SIGTERM.
    expect(await env.driver.stop(s.instanceId, 10_000)).toMatchObject({ state: "stopped", exitCode: 143 });
  }, 150_000);
});
