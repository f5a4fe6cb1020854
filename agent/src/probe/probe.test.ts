import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostCapabilities, hostCapacity } from "@berth/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeHost } from ".";
import { probeAccelerator } from "./accelerator";
import { probeCapacity } from "./capacity";
import { probeCgroup } from "./cgroup";
import { probeOciRuntime } from "./oci";
import { probeQemu } from "./qemu";

let dir: string;

/** A stand-in binary: a shell script, so each probe's parsing and timeout can be checked. */
async function fakeBin(name: string, script: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-probe-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("probes on this machine", () => {
  it("return the shape the control plane accepts, without throwing", async () => {
    const p = await probeHost({
      probeTimeoutMs: 3000,
      maxInstances: 100,
      memoryReserveMiB: undefined,
      kvmProbe: undefined,
    });
    expect(hostCapacity.parse(p.capacity)).toEqual(p.capacity);
    expect(p.capacity.cpuMillis % 1000).toBe(0);
    const caps = {
      isolationLevels: [],
      accelerator: p.accelerator,
      guestKernel: null,
      ociRuntime: p.ociRuntime,
      cgroup: p.cgroup,
      sim: false,
    };
    expect(hostCapabilities.parse(caps)).toEqual(caps);
    // Without QEMU there is no accelerator; with it, KVM only if the guest kernel booted under it.
    if (p.qemu === null) expect(p.accelerator).toBeNull();
    else expect(["kvm", "tcg"]).toContain(p.accelerator);
  });

  it("keeps the KVM probe's answer for the boot, per kernel and QEMU version", async () => {
    const env = { probeTimeoutMs: 3000, maxInstances: 1, memoryReserveMiB: undefined };
    const qemu = await probeQemu({ timeoutMs: 3000 });
    if (qemu === null) throw new Error("qemu-system-x86_64 is missing: apt-get install qemu-system-x86");
    const cache = join(dir, "accelerator.json");
    const kvmProbe = { kernel: "/nonexistent-kernel", initrd: undefined, timeoutMs: 200 };
    await writeFile(cache, JSON.stringify({ key: `${qemu} /nonexistent-kernel `, accelerator: "kvm" }));
    expect((await probeHost({ ...env, kvmProbe }, { acceleratorCache: cache })).accelerator).toBe("kvm");
    // another kernel is probed again (this one cannot boot: tcg), and the new answer is kept
    const other = { ...kvmProbe, kernel: "/other-kernel" };
    expect((await probeHost({ ...env, kvmProbe: other }, { acceleratorCache: cache })).accelerator).toBe(
      "tcg",
    );
    expect(JSON.parse(await readFile(cache, "utf8"))).toEqual({
      key: `${qemu} /other-kernel `,
      accelerator: "tcg",
    });
  });
});

describe("version probes", () => {
  it("read the first line of --version", async () => {
    const runc = await fakeBin("runc", 'echo "runc version 1.1.5+ds1"; echo "commit: x"');
    expect(await probeOciRuntime({ binary: runc, timeoutMs: 2000 })).toBe("runc version 1.1.5+ds1");
    const qemu = await fakeBin("qemu", 'echo "QEMU emulator version 7.2.15"');
    expect(await probeQemu({ binary: qemu, timeoutMs: 2000 })).toBe("QEMU emulator version 7.2.15");
  });

  it("give null for a missing binary, a failing one and a hung one", async () => {
    expect(await probeOciRuntime({ binary: join(dir, "no-such-runc"), timeoutMs: 2000 })).toBeNull();
    expect(await probeQemu({ binary: join(dir, "no-such-qemu"), timeoutMs: 2000 })).toBeNull();
    const failing = await fakeBin("failing", "echo oops; exit 3");
    expect(await probeOciRuntime({ binary: failing, timeoutMs: 2000 })).toBeNull();
    const hung = await fakeBin("hung", "exec sleep 30");
    const t0 = Date.now();
    expect(await probeOciRuntime({ binary: hung, timeoutMs: 300 })).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe("cgroup probe", () => {
  it("says v2 only when the unified root lists controllers", async () => {
    const v2 = join(dir, "cg-v2");
    await mkdir(v2);
    await writeFile(join(v2, "cgroup.controllers"), "cpuset cpu io memory pids\n");
    expect(await probeCgroup({ root: v2 })).toBe("v2");
  });

  it("says v1 on a hybrid layout (empty unified root, memory controller mounted)", async () => {
    const hybrid = join(dir, "cg-hybrid");
    await mkdir(join(hybrid, "memory"), { recursive: true });
    await writeFile(join(hybrid, "cgroup.controllers"), "\n");
    expect(await probeCgroup({ root: hybrid })).toBe("v1");
  });

  it("says null when there are no cgroups at all", async () => {
    expect(await probeCgroup({ root: join(dir, "nothing-here") })).toBeNull();
  });
});

describe("accelerator probe", () => {
  const device = () => join(dir, "kvm");
  beforeAll(() => writeFile(join(dir, "kvm"), ""));

  it("is null without QEMU and tcg when nothing can prove KVM", async () => {
    expect(await probeAccelerator({ qemu: null })).toBeNull();
    expect(await probeAccelerator({ qemu: "QEMU 7.2" })).toBe("tcg");
    const kvmProbe = { kernel: "/nonexistent", timeoutMs: 1000 };
    expect(await probeAccelerator({ qemu: "QEMU 7.2", kvmProbe, kvmDevice: join(dir, "no-kvm") })).toBe(
      "tcg",
    );
  });

  it("is kvm only when the probe guest reaches its init", async () => {
    const booting = await fakeBin(
      "qemu-boots",
      'echo "Linux version 6.1"; echo "Run /init as init process"; exec sleep 30',
    );
    const kvmProbe = { kernel: "/k", timeoutMs: 3000 };
    expect(await probeAccelerator({ qemu: "q", kvmProbe, binary: booting, kvmDevice: device() })).toBe("kvm");
  });

  it("falls back to tcg when the guest hangs after its banner, or QEMU fails", async () => {
    const hangs = await fakeBin("qemu-hangs", 'echo "Linux version 6.1"; exec sleep 30');
    const t0 = Date.now();
    const kvmProbe = { kernel: "/k", timeoutMs: 400 };
    expect(await probeAccelerator({ qemu: "q", kvmProbe, binary: hangs, kvmDevice: device() })).toBe("tcg");
    expect(Date.now() - t0).toBeLessThan(5000);
    const fails = await fakeBin("qemu-fails", 'echo "could not open kernel" >&2; exit 1');
    expect(await probeAccelerator({ qemu: "q", kvmProbe, binary: fails, kvmDevice: device() })).toBe("tcg");
    expect(
      await probeAccelerator({ qemu: "q", kvmProbe, binary: join(dir, "none"), kvmDevice: device() }),
    ).toBe("tcg");
  });
});

describe("capacity", () => {
  const GiB = 1024 ** 3;
  it("offers cpu by cores and memory minus a reserve of 10 %, at least 1 GiB, at most half", () => {
    expect(probeCapacity({ maxInstances: 100 }, { cpus: 2, totalBytes: 24 * GiB })).toEqual({
      cpuMillis: 2000,
      memoryMiB: 24 * 1024 - Math.floor((24 * 1024) / 10),
      maxInstances: 100,
    });
    expect(probeCapacity({ maxInstances: 5 }, { cpus: 1, totalBytes: 4 * GiB }).memoryMiB).toBe(3 * 1024);
    expect(probeCapacity({ maxInstances: 5 }, { cpus: 1, totalBytes: 1 * GiB }).memoryMiB).toBe(512);
    expect(probeCapacity({ maxInstances: 5, memoryReserveMiB: 0 }, { cpus: 4, totalBytes: 8 * GiB })).toEqual(
      {
        cpuMillis: 4000,
        memoryMiB: 8192,
        maxInstances: 5,
      },
    );
  });
});
