// berth-jailer on its own, with busybox in place of QEMU: what the jailed process sees and may do,
// which ids, cgroups and namespace it has, and what it leaves on the host (nothing).
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { chown, mkdir, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../container/testkit";
import { defaultJailer } from "./driver";
import { isAlive, type JailOptions, jailerArgs, processStartTime, waitGone } from "./jail";

const run = promisify(execFile);
const repoRoot = new URL("../../../../", import.meta.url).pathname;
const uid = 299_999;
let dir = "";
let opts: Omit<JailOptions, "qemuArgs">;
const cgroup = `/sys/fs/cgroup/pids/berth-jail-test-${randomUUID().slice(0, 8)}`;

/** Runs `busybox sh -c SCRIPT` jailed; resolves with its output and exit code. */
async function jailed(script: string, over: Partial<JailOptions> = {}) {
  const args = jailerArgs({ ...opts, ...over, qemuArgs: ["sh", "-c", script] });
  return run(opts.jailer, args, { env: {} as NodeJS.ProcessEnv }).then(
    (r) => ({ out: r.stdout + r.stderr, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => ({ out: e.stdout + e.stderr, code: e.code }),
  );
}

beforeAll(async () => {
  execFileSync("make", ["-s", "-C", join(repoRoot, "native/jailer")]);
  dir = await tempDir("berth-jail-test-");
  for (const d of ["root", "vm", "ro"]) await mkdir(join(dir, d));
  await chown(join(dir, "vm"), uid, uid);
  await writeFile(join(dir, "ro/kernel"), "not a kernel\n");
  await mkdir(cgroup);
  opts = {
    jailer: defaultJailer,
    root: join(dir, "root"),
    vm: join(dir, "vm"),
    uid,
    gid: uid,
    cgroups: [cgroup],
    devices: ["/dev/null", "/dev/net/tun"],
    readOnly: { [join(dir, "ro/kernel")]: "/guest/vmlinuz" },
    qemu: "/usr/bin/busybox",
  };
});

afterAll(async () => {
  await rmdir(cgroup).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("berth-jailer", () => {
  it("gives the program only /usr, its devices, the ro binds and /vm, as the unprivileged ids", async () => {
    const r = await jailed(
      "id; ls -A /; ls -A /dev /dev/net; cat /guest/vmlinuz; echo hi > /vm/out && echo vm-writable; " +
        "echo x > /x || echo root-ro; echo x > /usr/x || echo usr-ro; echo x > /guest/vmlinuz || echo guest-ro; " +
        "echo x > /dev/null && echo null-ok; echo $TMPDIR $PATH",
    );
    expect(r.code, r.out).toBe(0);
    // No supplementary groups at all (setgroups(0)): busybox then prints none.
    expect(r.out).toMatch(new RegExp(`^uid=${uid} gid=${uid}$`, "m"));
    const rootList = r.out.split("\n").slice(1, 9).join(" ");
    expect(rootList.split(/\s+/).sort()).toEqual([
      "bin",
      "dev",
      "guest",
      "lib",
      "lib64",
      "sbin",
      "usr",
      "vm",
    ]);
    expect(r.out).toMatch(/\/dev:\nnet\nnull\n/);
    expect(r.out).toMatch(/\/dev\/net:\ntun\n/);
    expect(r.out).toContain("not a kernel");
    for (const word of ["vm-writable", "root-ro", "usr-ro", "guest-ro", "null-ok", "/vm/run /usr/bin"])
      expect(r.out).toContain(word);
    expect(readFileSync(join(dir, "vm/out"), "utf8")).toBe("hi\n");
  });

  it("joins the cgroups, unshares the mount namespace, holds no privilege, and mounts nothing on the host", async () => {
    const child = spawn(opts.jailer, jailerArgs({ ...opts, qemuArgs: ["sleep", "30"] }), {
      stdio: "ignore",
      env: {} as NodeJS.ProcessEnv,
    });
    const pid = child.pid as number;
    try {
      let status = "";
      for (let i = 0; i < 100 && !status.includes(`Uid:\t${uid}`); i++) {
        await new Promise((r) => setTimeout(r, 20));
        status = readFileSync(`/proc/${pid}/status`, "utf8");
      }
      expect(status).toMatch(/^CapEff:\s+0+$/m);
      expect(status).toMatch(/^CapPrm:\s+0+$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(readFileSync(`/proc/${pid}/limits`, "utf8")).toMatch(/^Max core file size\s+0\s+0\s/m);
      expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toMatch(
        new RegExp(`:pids:${cgroup.slice(19)}$`, "m"),
      );
      expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync("/proc/self/ns/mnt"));
      expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(dir);
      const started = (await processStartTime(pid)) as string;
      expect(await isAlive(pid, started)).toBe(true);
      expect(await isAlive(pid, `${started}1`), "another start time: another process").toBe(false);
      child.kill("SIGKILL");
      expect(await waitGone(pid, started, 5000)).toBe(true);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("refuses root, a relative program and devices outside /dev", async () => {
    for (const [over, why] of [
      [{ uid: 0 }, "uid/gid must be a number > 0"],
      [{ qemu: "busybox" }, "the program must be an absolute path"],
      [{ devices: ["/etc/passwd"] }, "--dev takes a path under /dev"],
      [{ devices: ["/dev/../etc/shadow"] }, "--dev takes a path under /dev"],
    ] as [Partial<JailOptions>, string][]) {
      const r = await jailed("echo ran", over);
      expect(r.code, r.out).toBe(126);
      expect(r.out).toContain(why);
      expect(r.out).not.toContain("ran");
    }
  });
});
