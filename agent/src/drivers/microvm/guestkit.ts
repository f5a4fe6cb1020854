// Test support: boots one micro-VM with raw QEMU (TCG, no jail, user networking) from the pieces
// guest.ts builds, and reads its console. The driver's real launch (jail, tap) is in qemu.ts/jail.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { kernelCmdline } from "./guest";

export type RawVm = {
  proc: ChildProcess;
  spawnedAt: number;
  console: () => string;
  /** Resolves with the console once it matches, rejects after timeoutMs or when QEMU exits first. */
  waitConsole: (re: RegExp, timeoutMs: number) => Promise<string>;
  /** QEMU's exit code; rejects (and kills QEMU) after timeoutMs. */
  waitExit: (timeoutMs: number) => Promise<number | null>;
  /** Writes one line to the guest's ttyS1 (berth-init's control channel). */
  control: (line: string) => Promise<void>;
  kill: () => void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * QEMU's argv for a raw boot. ttyS1 is an extra isa-serial at COM2's address: microvm creates only
 * one serial port itself and ignores a second -serial. The disk is snapshot=on (the overlay lands
 * in $TMPDIR, set to `dir` by bootRaw).
 */
export function rawQemuArgs(o: {
  dir: string;
  kernel: string;
  initrd: string;
  rootfs: string;
  memoryMiB?: number;
  hostfwdPort?: number;
}): string[] {
  const net = o.hostfwdPort
    ? [
        "-netdev",
        `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${o.hostfwdPort}-:8080`,
        "-device",
        "virtio-net-device,netdev=n0",
      ]
    : [];
  return [
    ...["-M", "microvm,x-option-roms=off", "-accel", "tcg", "-cpu", "max", "-m", String(o.memoryMiB ?? 128)],
    ...["-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot"],
    ...["-kernel", o.kernel, "-initrd", o.initrd],
    ...[
      "-append",
      kernelCmdline(o.hostfwdPort ? { ip: "10.0.2.15", prefixLen: 24, gateway: "10.0.2.2" } : {}),
    ],
    ...["-serial", `file:${join(o.dir, "console.log")}`],
    ...["-chardev", `socket,id=ctl,path=${join(o.dir, "ctl.sock")},server=on,wait=off`],
    ...["-device", "isa-serial,chardev=ctl,iobase=0x2f8,irq=3"],
    ...["-drive", `file=${o.rootfs},format=raw,if=none,id=root,snapshot=on`],
    ...["-device", "virtio-blk-device,drive=root"],
    ...net,
  ];
}

export function bootRaw(o: Parameters<typeof rawQemuArgs>[0]): RawVm {
  const consolePath = join(o.dir, "console.log");
  const spawnedAt = performance.now();
  const proc = spawn("qemu-system-x86_64", rawQemuArgs(o), {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, TMPDIR: o.dir },
  });
  let stderr = "";
  proc.stderr?.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const console = () =>
    existsSync(consolePath) ? readFileSync(consolePath, "utf8").replaceAll("\r", "") : "";
  return {
    proc,
    spawnedAt,
    console,
    async waitConsole(re, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const text = console();
        if (re.test(text)) return text;
        if (done) throw new Error(`QEMU exited before ${re}: ${stderr}\n${text.slice(-2000)}`);
        if (performance.now() > deadline)
          throw new Error(`no ${re} within ${timeoutMs} ms:\n${text.slice(-2000)}`);
        await sleep(100);
      }
    },
    async waitExit(timeoutMs) {
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      if (proc.signalCode === "SIGKILL")
        throw new Error(`QEMU did not exit within ${timeoutMs} ms:\n${console().slice(-2000)}`);
      return code;
    },
    control: (line) =>
      new Promise((resolve, reject) => {
        const sock = connect(join(o.dir, "ctl.sock"));
        sock.on("error", reject);
        sock.on("connect", () => sock.end(`${line}\n`, () => resolve()));
      }),
    kill: () => {
      if (!done) proc.kill("SIGKILL");
    },
  };
}
