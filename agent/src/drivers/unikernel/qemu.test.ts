// The unikernel's QEMU command line and sizes, as pure functions (the integration test boots them).

import { ukEnvBudgetBytes } from "@berth/contracts";
import { describe, expect, it } from "vitest";
import {
  ukCmdline,
  ukCmdlineMaxBytes,
  ukCmdlineTooLong,
  ukGuestMiB,
  ukMemoryLimitBytes,
  ukQemuArgs,
} from "./qemu";

describe("the unikernel's QEMU arguments", () => {
  it("appends the network in netdev.ip= syntax to the artifact's command line", () => {
    const net = { ip: "10.88.0.2", prefixLen: 24, gateway: "10.88.0.1" };
    expect(ukCmdline({ base: "", ...net })).toBe("netdev.ip=10.88.0.2/24:10.88.0.1");
    expect(ukCmdline({ base: " verbose ", ...net })).toBe("verbose netdev.ip=10.88.0.2/24:10.88.0.1");
  });

  it('appends the env as quoted env.NAME= tokens after the network, escaping " and \\', () => {
    const net = { ip: "10.88.0.2", prefixLen: 24, gateway: "10.88.0.1" };
    expect(ukCmdline({ base: "", ...net, env: {} })).toBe("netdev.ip=10.88.0.2/24:10.88.0.1");
    expect(
      ukCmdline({
        base: "v",
        ...net,
        env: { GREETING: "hi there", Q: 'a "b" \\c', E: "", X: "netdev.ip=1.2.3.4/8" },
      }),
    ).toBe(
      'v netdev.ip=10.88.0.2/24:10.88.0.1 env.GREETING="hi there" env.Q="a \\"b\\" \\\\c" env.E="" env.X="netdev.ip=1.2.3.4/8"',
    );
  });

  it("leaves room for the widest address and QEMU's device parameter; a long artifact line is refused", () => {
    // The API's budget for the env, with no artifact parameters: always fits.
    const env = { A: "v".repeat(ukEnvBudgetBytes - ' env.A=""'.length) };
    expect(ukCmdlineMaxBytes("", env)).toBe(
      "netdev.ip=255.255.255.255/32:255.255.255.255".length + ukEnvBudgetBytes + 64,
    );
    expect(ukCmdlineTooLong("", env)).toBeNull();
    expect(ukCmdlineTooLong("x".repeat(402), env)).toBeNull(); // 402 + the space + 45 + 1536 + 64 = 2047
    expect(ukCmdlineTooLong("x".repeat(403), env)).toMatch(
      /^the unikernel's kernel command line would take up to 2048 bytes \(the artifact's own 403, .*\), over the library OS's 2047$/,
    );
    expect(ukCmdlineTooLong("x".repeat(1900))).toBeNull();
    expect(ukCmdlineTooLong("x".repeat(1938))).toBeNull();
    expect(ukCmdlineTooLong("x".repeat(1939))).toMatch(/up to 2048 bytes/);
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
