// The baseline: the same micro-VM booted by a plain QEMU. The argv is the driver's own qemuArgs
// (same machine, accelerator and TCG cache size, memory, vCPUs, devices, -sandbox, kernel command
// line form) with the jail's paths turned into host paths and the tap replaced by user networking
// (restrict=on, hostfwd to the guest's 8080, as guestkit's rawQemuArgs). The same kernel, the same
// base initramfs plus the same /berth/config, the same ext4 rootfs (snapshot=on). No jailer, no
// cgroup, no tap, no tenant network, no record: QEMU spawned, timed to the first HTTP 200.
import { spawn } from "node:child_process";
import { chmod, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { defaultQemu } from "../../agent/src/drivers/microvm/driver";
import { type GuestConfig, kernelCmdline, writeInstanceInitrd } from "../../agent/src/drivers/microvm/guest";
import { jailPaths, qemuArgs, vcpusOf } from "../../agent/src/drivers/microvm/qemu";
import { waitFor200 } from "../container/http";
import type { Kit } from "./kit";

export type RawResult = {
  /** Spawn to the first HTTP 200 on the hostfwd port; null when none came. */
  ms: number | null;
  attempts: number;
  /** QEMU's pid while it ran (its memory is read by the caller if asked). */
  pid: number | null;
  error?: string;
};

/** The driver's argv for this VM, made runnable outside the jail. */
export function rawArgs(o: {
  kit: Kit;
  dir: string;
  rootfs: string;
  memoryMiB: number;
  cpuMillis: number;
  port: number;
}): string[] {
  const args = qemuArgs({
    accelerator: o.kit.accelerator,
    memoryMiB: o.memoryMiB,
    vcpus: vcpusOf(o.cpuMillis),
    // QEMU's user network: the guest is 10.0.2.15/24 behind 10.0.2.2.
    cmdline: kernelCmdline({ ip: "10.0.2.15", prefixLen: 24, gateway: "10.0.2.2" }),
    tap: "unused",
    mac: "52:54:00:12:34:56",
  });
  const host = (a: string) =>
    a === jailPaths.kernel
      ? o.kit.kernel.kernel
      : a === jailPaths.rootfs
        ? o.rootfs
        : a
            .replaceAll(`${jailPaths.vm}/`, `${o.dir}/`)
            .replace(`file=${jailPaths.rootfs},`, `file=${o.rootfs},`);
  return args.map((a) =>
    a.startsWith("tap,id=n0,") ? `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${o.port}-:8080` : host(a),
  );
}

/**
 * One raw boot: writes the initramfs (not timed, as the driver's prepared artifacts are not), spawns
 * QEMU, polls 127.0.0.1:port from the spawn on, then leaves QEMU running for `hold` (a memory read)
 * and kills it. The hostfwd port is bound by QEMU at once, so attempts before the guest listens
 * are answered by a close, not a refusal: only a real `HTTP/1.x 200` ends the wait.
 */
export async function rawBoot(o: {
  kit: Kit;
  n: number;
  rootfs: string;
  baseInitrd: string;
  config: GuestConfig;
  memoryMiB: number;
  cpuMillis: number;
  pollMs: number;
  connectTimeoutMs: number;
  timeoutMs: number;
  hold?: (pid: number) => Promise<void>;
}): Promise<RawResult> {
  const dir = join(o.kit.rawDir, String(o.n));
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "run"), { recursive: true });
  await chmod(o.kit.rawDir, 0o700);
  await writeInstanceInitrd({ base: o.baseInitrd, config: o.config, out: join(dir, "initrd") });
  const argv = rawArgs({ ...o, dir, port: o.kit.rawPort });
  let stderr = "";
  let exited = false;
  const t0 = performance.now();
  const proc = spawn(defaultQemu, argv, {
    stdio: ["ignore", "ignore", "pipe"],
    // what QEMU needs; NODE_ENV only because the project's ProcessEnv type requires it
    env: { NODE_ENV: "production", PATH: "/usr/bin:/bin", TMPDIR: join(dir, "run") },
  });
  const pid = proc.pid ?? null;
  if (pid) o.kit.raw.add(pid);
  proc.stderr?.on("data", (d) => (stderr = (stderr + d).slice(-2000)));
  const gone = new Promise<void>((resolve) =>
    proc.on("exit", () => {
      exited = true;
      resolve();
    }),
  );
  proc.on("error", (err) => (stderr += String(err)));
  try {
    const ok = await waitFor200(`127.0.0.1:${o.kit.rawPort}`, {
      deadline: t0 + o.timeoutMs,
      pollMs: o.pollMs,
      connectTimeoutMs: o.connectTimeoutMs,
      stop: () => exited,
    });
    if (ok && pid && o.hold) await o.hold(pid);
    const result: RawResult = { ms: ok ? ok.at - t0 : null, attempts: ok?.attempts ?? 0, pid };
    if (!ok)
      result.error = `no HTTP 200 within ${o.timeoutMs} ms${exited ? " (QEMU exited)" : ""}: ${stderr.trim().slice(-300)}`;
    return result;
  } finally {
    if (!exited) proc.kill("SIGKILL");
    await gone;
    if (pid) o.kit.raw.delete(pid);
    await rm(dir, { recursive: true, force: true });
  }
}
