// The pure parts of the microvm driver: QEMU's and the jailer's argv, the sizes derived from a
// spec, the tap's name, and reading berth-init's markers back from a console file.
import { randomUUID } from "node:crypto";
import { appendFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../container/testkit";
import { consoleSize, exitCodeOf, failureOf, initErrorOf, scanStarted } from "./console";
import { jailerArgs } from "./jail";
import { guestMemoryMiB, memoryLimitBytes, qemuArgs, tbSizeMiB, vcpusOf, vmmOverheadMiB } from "./qemu";
import { tapName } from "./tap";

let dir = "";
beforeAll(async () => {
  dir = await tempDir("berth-microvm-unit-");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const opts = {
  memoryMiB: 128,
  vcpus: 2,
  cmdline: "console=ttyS0",
  tap: "bt0123456789abc",
  mac: "02:42:0a:00:00:02",
};

describe("QEMU's command line", () => {
  it("under TCG: a bounded translation cache, the sandbox, no defaults, jail paths only", () => {
    const args = qemuArgs({ ...opts, accelerator: "tcg" });
    const joined = args.join(" ");
    expect(joined).toContain(`-accel tcg,tb-size=${tbSizeMiB} -cpu max`);
    expect(joined).toContain(
      "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
    );
    expect(joined).toContain("-m 128 -smp 2");
    for (const flag of ["-nodefaults", "-nographic", "-no-reboot"]) expect(args).toContain(flag);
    expect(args).not.toContain("-daemonize");
    expect(joined).toContain("snapshot=on");
    expect(joined).toContain("isa-serial,chardev=ctl,iobase=0x2f8,irq=3");
    expect(joined).toContain("ifname=bt0123456789abc,script=no,downscript=no");
    // Every file QEMU opens is inside the jail: /guest (read-only binds) or /vm.
    const paths = joined.match(/(?<![\w-])\/[\w./-]+/g) ?? [];
    expect(paths.length).toBeGreaterThan(4);
    for (const p of paths) expect(p, p).toMatch(/^\/(guest|vm)\//);
  });

  it("under KVM: the host CPU and no translation cache", () => {
    const joined = qemuArgs({ ...opts, accelerator: "kvm" }).join(" ");
    expect(joined).toContain("-accel kvm -cpu host");
    expect(joined).not.toContain("tb-size");
  });

  it("derives vCPUs, guest RAM and the cgroup's memory limit from the spec", () => {
    expect([vcpusOf(1), vcpusOf(1000), vcpusOf(1001), vcpusOf(2500)]).toEqual([1, 1, 2, 3]);
    expect([guestMemoryMiB(32), guestMemoryMiB(128), guestMemoryMiB(512)]).toEqual([96, 128, 512]);
    expect(memoryLimitBytes(512)).toBe((512 + vmmOverheadMiB) * 2 ** 20);
  });

  it("names the tap within the kernel's 15 characters, stable per instance", () => {
    const id = randomUUID();
    expect(tapName(id)).toMatch(/^bt[0-9a-f]{13}$/);
    expect(tapName(id)).toBe(tapName(id));
    expect(tapName(id)).not.toBe(tapName(randomUUID()));
  });

  it("passes the jailer its options, then -- and QEMU's argv", () => {
    const args = jailerArgs({
      jailer: "/j",
      root: "/r",
      vm: "/v",
      uid: 200000,
      gid: 200000,
      cgroups: ["/sys/fs/cgroup/memory/berth-vm/x"],
      devices: ["/dev/net/tun"],
      readOnly: { "/k": "/guest/vmlinuz" },
      qemu: "/usr/bin/qemu-system-x86_64",
      qemuArgs: ["-m", "96"],
    });
    expect(args.join(" ")).toBe(
      "--root /r --vm /v --uid 200000 --gid 200000 --cgroup /sys/fs/cgroup/memory/berth-vm/x --dev /dev/net/tun " +
        "--ro /k:/guest/vmlinuz --env TMPDIR=/vm/run --env PATH=/usr/bin -- /usr/bin/qemu-system-x86_64 -m 96",
    );
  });
});

describe("the console's markers", () => {
  it("reads this run's markers only, from its offset", async () => {
    const file = join(dir, "console.log");
    await writeFile(file, "[ 0.1] old run\r\nberth-init: started pid=5\r\nberth-init: exited code=9\r\n");
    const offset = await consoleSize(file);
    expect(await exitCodeOf(file, 0)).toBe(9);
    expect(await exitCodeOf(file, offset)).toBeUndefined();
    expect((await scanStarted(file, offset, offset)).found).toBe(false);
    await appendFile(file, "[ 0.2] Linux version 6.1\r\nberth-init: sta");
    const first = await scanStarted(file, offset, offset);
    expect(first.found).toBe(false);
    // A marker split between two reads is still found.
    await appendFile(file, "rted pid=42\r\nhello\r\nberth-init: exited code=143\r\n");
    expect((await scanStarted(file, first.pos, offset)).found).toBe(true);
    expect(await exitCodeOf(file, offset)).toBe(143);
    expect(await initErrorOf(file, offset)).toBeUndefined();
    expect(await failureOf(file, offset, 2)).toBe("hello | berth-init: exited code=143");
  });

  it("reports berth-init's error, and refuses a console that is a symlink", async () => {
    const file = join(dir, "err.log");
    await writeFile(
      file,
      "boot\nberth-init: error mount /dev/vda on /newroot: No such device\nberth-init: exited code=127\n",
    );
    expect(await initErrorOf(file, 0)).toBe("berth-init: mount /dev/vda on /newroot: No such device");
    expect(await failureOf(file, 0)).toBe("berth-init: mount /dev/vda on /newroot: No such device");
    const link = join(dir, "link.log");
    await symlink(file, link);
    expect(await exitCodeOf(link, 0)).toBeUndefined();
    expect(await consoleSize(link)).toBe(0);
  });
});
