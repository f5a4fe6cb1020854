// Booting a Berth unikernel image (native/unikernel) under QEMU microvm for tests: the same
// machine the micro-VM level uses (TCG here), ACPI off so QEMU puts the virtio-mmio slots on the
// command line, user networking with restrict=on (no way out to the host) and one host port
// forwarded to the guest's 8080.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export const unikernelDir = new URL("../../../../native/unikernel/", import.meta.url).pathname;

export interface BootedUnikernel {
  proc: ChildProcess;
  port: number;
  spawnedAt: number; // performance.now() just before spawn
  console: () => string; // everything the serial console printed so far
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string>;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

/** A free loopback port: bound by the kernel, released, then handed to QEMU's hostfwd. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function bootUnikernel(image: string, append: string, memoryMiB = 32): Promise<BootedUnikernel> {
  const port = await freePort();
  const args = [
    ...["-M", "microvm,x-option-roms=off,acpi=off", "-accel", "tcg", "-cpu", "max"],
    ...["-m", String(memoryMiB), "-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio"],
    ...["-netdev", `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:8080`],
    ...["-device", "virtio-net-device,netdev=n0", "-kernel", image, "-append", append],
  ];
  const spawnedAt = performance.now();
  const proc = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const wake of waiters) wake();
  };
  proc.stdout?.on("data", onOutput);
  proc.stderr?.on("data", onOutput);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  exited.then(() => {
    for (const wake of waiters) wake();
  });

  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = out.match(pattern);
        if (m) return done(() => resolve(m[0]));
        if (proc.exitCode !== null) return done(() => reject(new Error(`QEMU exited; console:\n${out}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; console:\n${out}`))),
        timeoutMs,
      );
      const done = (finish: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        finish();
      };
      waiters.add(check);
      check();
    });

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await exited;
    }
  };
  return { proc, port, spawnedAt, console: () => out, waitFor, exited, stop };
}

/** The first HTTP 200 from url, retrying while the guest is not listening yet. QEMU's user
 * networking accepts the host side at once; a SYN it forwards before the guest's NIC is up is
 * only retransmitted ~1 s later, so a short attempt timeout measures the guest, not slirp. */
export async function firstOk(
  url: string,
  timeoutMs: number,
  attemptMs = 250,
): Promise<{ body: string; at: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const body = await fetch(url, { signal: AbortSignal.timeout(attemptMs) })
      .then((r) => (r.status === 200 ? r.text() : null))
      .catch(() => null);
    if (body !== null) return { body, at: performance.now() };
    if (performance.now() > deadline) throw new Error(`no HTTP 200 from ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Host CPU time (user + system) a process used, in milliseconds, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command: state is field 3, utime 14 and stime 15 (1-based), in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
