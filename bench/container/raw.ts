// Raw runc on the driver's own bundle: the driver's container of an instance is killed and deleted,
// then the very config.json it generated (same rootfs mount, user namespace, seccomp, limits, tini,
// and the instance's network namespace, so the same published endpoint) is run with a plain
// `runc run -d`. Only the container id and the cgroup path differ. What the raw run skips is what
// the driver adds around runc: the uid range, network attach, idmapped layers and overlay, spec
// and record files, the shim and its readiness checks.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitFor200 } from "./http";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runcBin = "/usr/sbin/runc";

export type RawResult = {
  ms: number | null;
  runcReturnedMs: number;
  attempts: number;
  exitCode: number | null;
};

/** Kills and deletes the driver's container of `id` (its mounts, netns and record stay). */
export async function killDriverContainer(agentDir: string, id: string): Promise<void> {
  const root = join(agentDir, "runc");
  await run(runcBin, ["--root", root, "kill", id, "KILL"]).catch(() => {});
  const exit = join(agentDir, "instances", id, "exit");
  for (let i = 0; i < 500 && !existsSync(exit); i++) await sleep(10);
  await run(runcBin, ["--root", root, "delete", "--force", id]).catch(() => {});
}

export async function rawRun(o: {
  agentDir: string;
  rawDir: string;
  id: string;
  endpoint: string;
  pollMs: number;
  connectTimeoutMs: number;
  timeoutMs: number;
}): Promise<RawResult> {
  const rawId = `raw-${o.id}`;
  const bundle = join(o.rawDir, "bundles", rawId);
  await mkdir(bundle, { recursive: true });
  const config = JSON.parse(
    await readFile(join(o.agentDir, "instances", o.id, "bundle", "config.json"), "utf8"),
  );
  config.linux.cgroupsPath = `/berth/${rawId}`;
  await writeFile(join(bundle, "config.json"), JSON.stringify(config));
  const out = await open(join(bundle, "console.log"), "a");
  const t0 = performance.now();
  let runcReturned = 0;
  let exitCode: number | null = null;
  const child = spawn(runcBin, ["--root", join(o.rawDir, "runc"), "run", "-d", "--bundle", bundle, rawId], {
    stdio: ["ignore", out.fd, out.fd],
  });
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (code) => {
      runcReturned = performance.now();
      exitCode = code;
      resolve();
    }),
  );
  child.on("error", () => {});
  const ok = await waitFor200(o.endpoint, {
    deadline: t0 + o.timeoutMs,
    pollMs: o.pollMs,
    connectTimeoutMs: o.connectTimeoutMs,
    stop: () => exitCode !== null && exitCode !== 0,
  });
  await exited;
  await out.close();
  return {
    ms: ok ? ok.at - t0 : null,
    runcReturnedMs: runcReturned - t0,
    attempts: ok?.attempts ?? 0,
    exitCode,
  };
}

export async function deleteRaw(rawDir: string, id: string): Promise<void> {
  await run(runcBin, ["--root", join(rawDir, "runc"), "delete", "--force", `raw-${id}`]).catch(() => {});
}

/** Every raw container still known to the raw runc root (for the cleanup). */
export async function rawLeftovers(rawDir: string): Promise<string[]> {
  try {
    const { stdout } = await run(runcBin, ["--root", join(rawDir, "runc"), "list", "-q"]);
    return stdout.split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
