// The unikernel's QEMU command line and sizes, as pure functions (the integration test boots them).
import { describe, expect, it } from "vitest";
import { ukCmdline, ukGuestMiB, ukMemoryLimitBytes, ukQemuArgs } from "./qemu";

describe("the unikernel's QEMU arguments", () => {
  it("appends the network in netdev.ip= syntax to the artifact's command line", () => {
    const net = { ip: "10.88.0.2", prefixLen: 24, gateway: "10.88.0.1" };
    expect(ukCmdline({ base: "", ...net })).toBe("netdev.ip=10.88.0.2/24:10.88.0.1");
    expect(ukCmdline({ base: " verbose ", ...net })).toBe("verbose netdev.ip=10.88.0.2/24:10.88.0.1");
  });

  it("gives the guest what the artifact asks, within the deployment's memory and above the floor", () => {
    expect(ukGuestMiB(256)).toBe(32);
    expect(ukGuestMiB(256, 48)).toBe(48);
    expect(ukGuestMiB(24, 48)).toBe(24);
    expect(ukGuestMiB(4, 32)).toBe(16);
    expect(ukMemoryLimitBytes(32)).toBe((32 + 64) * 1024 * 1024);
  });

  it("boots the kernel bound in the jail on microvm without ACPI, one vCPU, the tap, the console to a file", () => {
    const args = ukQemuArgs({
      accelerator: "tcg",
      memoryMiB: 32,
      cmdline: "x",
      tap: "bt1",
      mac: "02:00:00:00:00:01",
    });
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-M")).toBe("microvm,x-option-roms=off,acpi=off");
    expect(after("-accel")).toBe("tcg,tb-size=8");
    expect(after("-kernel")).toBe("/guest/kernel");
    expect(after("-append")).toBe("x");
    expect(after("-m")).toBe("32");
    expect(after("-smp")).toBe("1");
    expect(args).toContain("-no-reboot");
    expect(args).not.toContain("-initrd");
    expect(after("-netdev")).toBe("tap,id=n0,ifname=bt1,script=no,downscript=no");
    expect(after("-chardev")).toBe("file,id=con,path=/vm/console.log,append=on");
    expect(ukQemuArgs({ accelerator: "kvm", memoryMiB: 32, cmdline: "", tap: "t", mac: "m" })).toContain(
      "host",
    );
  });
});
