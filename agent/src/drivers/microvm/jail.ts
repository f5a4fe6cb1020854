// Starting QEMU through berth-jailer (native/jailer), and telling later whether that very process
// still runs: a pid alone is not enough after an agent restart, the kernel may have reused it.
import { spawn } from "node:child_process";
import { open, readFile } from "node:fs/promises";
import { jailPaths } from "./qemu";

export type JailOptions = {
  jailer: string;
  /** An empty host directory: the jail's tmpfs root is mounted over it, in the jail's namespace only. */
  root: string;
  /** The instance's directory, /vm inside. */
  vm: string;
  uid: number;
  gid: number;
  cgroups: string[];
  devices: string[];
  /** Host file -> jail path, bound read-only. */
  readOnly: Record<string, string>;
  qemu: string;
  qemuArgs: string[];
};

export function jailerArgs(o: JailOptions): string[] {
  return [
    ...["--root", o.root, "--vm", o.vm, "--uid", String(o.uid), "--gid", String(o.gid)],
    ...o.cgroups.flatMap((c) => ["--cgroup", c]),
    ...o.devices.flatMap((d) => ["--dev", d]),
    ...Object.entries(o.readOnly).flatMap(([host, jail]) => ["--ro", `${host}:${jail}`]),
    // QEMU's whole environment: the snapshot overlay goes to its own writable directory.
    ...["--env", `TMPDIR=${jailPaths.run}`, "--env", "PATH=/usr/bin"],
    "--",
    o.qemu,
    ...o.qemuArgs,
  ];
}

export type Launched = { pid: number; startTime: string };

/**
 * Spawns the jailer (which becomes QEMU) in a session of its own, its output appended to `logFile`,
 * and lets go of it: it is no child the agent waits for, and a dead agent (kill -9 included) leaves
 * it running. The cgroups it joins are the VM's, not the agent's service cgroup.
 */
export async function spawnJailed(o: JailOptions, logFile: string): Promise<Launched> {
  const fh = await open(logFile, "a", 0o600);
  try {
    const child = spawn(o.jailer, jailerArgs(o), {
      detached: true,
      stdio: ["ignore", fh.fd, fh.fd],
      // The jailer passes QEMU only its --env values; nothing of the agent's environment is needed.
      env: {} as NodeJS.ProcessEnv,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => (child.pid ? resolve(child.pid) : reject(new Error("no pid"))));
    });
    child.unref();
    const startTime = await processStartTime(pid);
    if (startTime === null) throw new Error(`the jailer (pid ${pid}) exited at once: see ${logFile}`);
    return { pid, startTime };
  } finally {
    await fh.close();
  }
}

/** Field 22 of /proc/PID/stat (clock ticks since boot; unchanged by execve), null for a zombie or none. */
export async function processStartTime(pid: number): Promise<string | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count from its last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return null;
  return fields[19] ?? null;
}

/** The recorded process, not a later one that got its pid. */
export async function isAlive(pid: number, startTime: string): Promise<boolean> {
  return (await processStartTime(pid)) === startTime;
}

/** SIGKILL to the recorded process if it is still that process. */
export async function killIfAlive(pid: number, startTime: string, signal: NodeJS.Signals = "SIGKILL") {
  if (!(await isAlive(pid, startTime))) return;
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** Until the process is gone (a zombie counts as gone) or the deadline; true when gone. */
export async function waitGone(pid: number, startTime: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await isAlive(pid, startTime))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
