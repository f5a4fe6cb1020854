// What the microvm isolation suites share: a real driver (jailed QEMU, TCG, taps on a real tenant
// network, the real image store), probe VMs whose workload is a busybox script that prints its
// findings on the console, read back through driver.logs(), and a counting server on the host.
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { InstanceSpec, InstanceStatus } from "../../driver";
import { OciImageStore } from "../../images";
import { requireExampleImages } from "../../images/testing";
import { createLog } from "../../log";
import { createInstanceNetwork, type TenantNetwork } from "../../net";
import { requireNetAndImageTools } from "../container/probekit";
import { tempDir } from "../container/testkit";
import { createMicrovmDriver, loadGuestKernel, type MicrovmDriver } from "./index";

const repoRoot = new URL("../../../../", import.meta.url).pathname;
export const log = createLog({ level: "warn" });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type VmEnv = {
  data: string;
  images: OciImageStore;
  network: TenantNetwork;
  driver: MicrovmDriver;
  /** Stops every instance id given, then removes the data dir. */
  cleanup(ids: string[]): Promise<void>;
};

/**
 * Builds the natives, checks the guest kernel and the registry, and makes the driver on a pool
 * and port range of its own (random, away from the agent's 10.88/16 and the other tests' pools).
 * `poolBase`/`portBase` keep the suites apart when vitest runs them side by side.
 */
export async function vmEnv(o: { prefix: string; poolBase: number; portBase: number; idRangesDir?: string }) {
  requireNetAndImageTools();
  await requireExampleImages();
  for (const dir of ["native/jailer", "native/guest-init"])
    execFileSync("make", ["-s", "-C", join(repoRoot, dir)]);
  if (!(await loadGuestKernel())) throw new Error("no guest kernel in .berth/guest: run npm run setup");
  const data = await tempDir(o.prefix);
  // The container level (when a suite adds it) wants its data dir searchable by its uids.
  await chmod(data, 0o711);
  const images = new OciImageStore({ dataDir: join(data, "images") });
  const portMin = o.portBase + randomInt(40) * 25;
  const network = createInstanceNetwork({
    dataDir: join(data, "net"),
    subnet: `10.${o.poolBase + randomInt(10)}.0.0/16`,
    portRange: { min: portMin, max: portMin + 24 },
    log,
  });
  const driver = createMicrovmDriver({
    dataDir: join(data, "microvm"),
    images,
    network,
    accelerator: "tcg",
    log,
    ...(o.idRangesDir ? { idRangesDir: join(data, o.idRangesDir) } : {}),
  });
  const env: VmEnv = {
    data,
    images,
    network,
    driver,
    async cleanup(ids) {
      for (const id of ids) await driver.stop(id, 0).catch(() => {});
      for (const id of ids) await network.detach(id).catch(() => {});
      const mounted = readFileSync("/proc/self/mountinfo", "utf8").includes(data);
      if (!mounted) await rm(data, { recursive: true, force: true });
    },
  };
  return env;
}

/** The instance's console as the driver gives it (kernel lines and the workload's output). */
export async function consoleLines(driver: MicrovmDriver, id: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of driver.logs(id, { follow: false })) lines.push(line);
  return lines;
}

/** The rest of the first line that starts with `prefix` and a space. */
export function fieldOf(lines: string[], prefix: string): string {
  return lines.find((l) => l.startsWith(`${prefix} `))?.slice(prefix.length + 1) ?? `(no ${prefix} line)`;
}

/** Until the console holds `marker` (a line of its own); fails with the console when it never does. */
export async function untilLine(driver: MicrovmDriver, id: string, marker: string, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = await consoleLines(driver, id);
    if (lines.includes(marker)) return lines;
    const state = (await driver.inspect(id))?.state;
    if (Date.now() > deadline || (state && !["running", "starting"].includes(state)))
      throw new Error(`no "${marker}" from ${id} (state ${state}):\n${lines.slice(-40).join("\n")}`);
    await sleep(200);
  }
}

/** Until the VM is no longer running (the workload ended, berth-init powered the guest off). */
export async function untilEnded(driver: MicrovmDriver, id: string, ms = 60_000): Promise<InstanceStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await driver.inspect(id);
    if (s && !["running", "starting"].includes(s.state)) return s;
    if (Date.now() > deadline) throw new Error(`${id} still ${s?.state} after ${ms} ms`);
    await sleep(200);
  }
}

export async function startRunning(driver: MicrovmDriver, spec: InstanceSpec): Promise<InstanceStatus> {
  const status = await driver.start(spec);
  expect(status.state, `${spec.name}: ${JSON.stringify(status)}`).toMatch(/running|exited/);
  return status;
}

/**
 * A TCP server on every host address, IPv4 and IPv6 (dual stack on ::), that counts connections:
 * the stand-in for any service of the host. It answers HTTP, so a probe that reached it says so.
 */
export async function countingServer(): Promise<{ port: number; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((s) => {
    hits++;
    s.end("HTTP/1.0 200 OK\r\n\r\nhost\n");
  });
  await new Promise<void>((r) => server.listen({ port: 0, host: "::", ipv6Only: false }, r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no address");
  return { port: addr.port, hits: () => hits, server };
}

/** Every IPv4 address of the host but loopback: its external one, every bridge's gateway, the rest. */
export function hostIpv4s(): string[] {
  const all = Object.values(networkInterfaces())
    .flatMap((a) => a ?? [])
    .filter((a) => a.family === "IPv4" && !a.internal)
    .map((a) => a.address);
  return [...new Set(all)];
}

/** The host's global IPv6 addresses (none on many hosts). */
export function hostIpv6s(): string[] {
  const all = Object.values(networkInterfaces())
    .flatMap((a) => a ?? [])
    .filter((a) => a.family === "IPv6" && !a.internal && !a.address.startsWith("fe80"))
    .map((a) => a.address);
  return [...new Set(all)];
}

// Every target at once, one line per target, then `probes-done`. busybox nc, not wget (Debian's
// busybox 1.35 wget crashes with -T): nc gives up a connect after 2 s ("timed out": the packet was
// dropped) and says "refused" when something answered with a reset. IPv6 targets are [ADDR]:PORT;
// $LABEL (default probe) starts each line. It waits for its own nc only, not for a server the
// script runs in the background.
export const probeFunction = `probe() {
  pids=
  for t in "$@"; do
    ( h=\${t%:*}; h=\${h#[}; h=\${h%]}
      out=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 $h \${t##*:} 2>&1); rc=$?
      if [ $rc = 0 ]; then r=ok; else r=fail; fi
      echo "\${LABEL:-probe} $t $r rc=$rc $(echo "$out" | tr '\\r\\n' '  ' | head -c 200)" ) &
    pids="$pids $!"
  done
  wait $pids
}`;

/** The probe lines of a console, per target: "ok rc=0 ANSWER" or "fail rc=N what nc said". */
export function probeResults(lines: string[], prefix = "probe"): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const m = new RegExp(`^${prefix} (\\S+) (ok|fail) ?(.*)$`).exec(line);
    if (m) out.set(m[1] as string, `${m[2]} ${m[3]}`);
  }
  return out;
}
