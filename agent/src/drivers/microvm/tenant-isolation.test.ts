// Network isolation of micro-VMs, from inside real guests on real tenant networks: the microvm
// driver (jailed QEMU, TCG, a tap on the tenant's bridge, nftables) and, for tenant B, a container
// of the container driver on the same network. Tenant A runs a2 (the hello server) and pa (a probe);
// tenant B runs b1 (hello server and probe at once) and bc (a hello container). The probes are
// workloads: busybox nc against every target at once, one console line per target. Every blocked
// attempt must time out (dropped) AND leave no trace where it aimed: the host's counting server
// sees 0 connections, the hello servers log no request from the other tenant.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceSpec } from "../../driver";
import { HELLO } from "../../images/testing";
import type { Reservation } from "../../net/network";
import { type ContainerDriver, createContainerDriver } from "../container";
import { externalIpv4, httpStatus } from "../container/probekit";
import { instanceSpec, requireHostTools } from "../container/testkit";
import {
  consoleLines,
  countingServer,
  hostIpv4s,
  hostIpv6s,
  log,
  probeFunction,
  probeResults,
  sleep,
  startRunning,
  untilEnded,
  untilLine,
  type VmEnv,
  vmEnv,
} from "./isolationkit";
import type { VmRecord } from "./records";
import { tapName } from "./tap";

const tenantA = randomUUID();
const tenantB = randomUUID();
const specs: Record<string, InstanceSpec> = {};
const net: Record<string, Pick<Reservation, "ip" | "prefixLen" | "gateway" | "endpoints">> = {};
let env: VmEnv;
let containers: ContainerDriver;
let host: Awaited<ReturnType<typeof countingServer>>;
/** Per probing VM (pa of tenant A, b1 of tenant B), per target: "ok ..." or "fail rc=N ...". */
let seenA = new Map<string, string>();
let seenB = new Map<string, string>();
let spoofA = new Map<string, string>();
const logOf: Record<string, string[]> = {};

function spec(key: string, tenantId: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  specs[key] = instanceSpec({
    instanceId: randomUUID(),
    tenantId,
    name: key,
    image: HELLO,
    isolation: "microvm",
    cpuMillis: 1000,
    memoryMiB: 64,
    ...over,
  });
  return specs[key];
}
const port8080 = [{ port: 8080, protocol: "tcp" as const }];
const ip = (key: string) => net[key]?.ip as string;
const hostPort = (key: string) => (net[key]?.endpoints[0] ?? "").split(":")[1];

/** A VM's reservation on the tenant network (made by its start, or made ahead and found by it). */
const reserveTap = (s: InstanceSpec) =>
  env.network.reserve({
    instanceId: s.instanceId,
    tenantId: s.tenantId,
    ports: s.ports,
    hostIf: tapName(s.instanceId),
  });

async function untilHttp200(endpoint: string) {
  for (let i = 0; i < 300; i++) {
    if ((await httpStatus(`http://${endpoint}/`).catch(() => 0)) === 200) return;
    await sleep(100);
  }
  throw new Error(`no HTTP 200 from ${endpoint}`);
}

/** Every address of the host (its own, each bridge's gateway) with each host service's port and the given published ports. */
function hostTargets(published: string[]): string[] {
  return hostAddrs().flatMap((a) => [5432, 6379, host.port, ...published].map((p) => `${a}:${p}`));
}

// The host's addresses as they were when the probes were given them (other tests add and remove
// bridges meanwhile): its own, the two tenants' gateways, every other bridge's.
let v4: string[] = [];
let v6: string[] = [];
const hostAddrs = () => {
  if (v4.length === 0) v4 = [...new Set([...hostIpv4s(), net.a2?.gateway, net.b1?.gateway])] as string[];
  return v4;
};
const hostV6 = () => {
  if (v6.length === 0) v6 = hostIpv6s();
  return v6.map((a) => `[${a}]:${host.port}`);
};

beforeAll(async () => {
  requireHostTools();
  env = await vmEnv({ prefix: "berth-vm-net-", poolBase: 70, portBase: 15000, idRangesDir: "container" });
  containers = createContainerDriver({
    dataDir: join(env.data, "container"),
    images: env.images,
    network: env.network,
    log,
  });
  host = await countingServer();
  // B's hello container, then A's hello VM, each answering the host before the probes start.
  const bc = spec("bc", tenantB, { isolation: "container", memoryMiB: 32, cpuMillis: 100, ports: port8080 });
  expect(await containers.start(bc)).toMatchObject({ state: "running" });
  const a2 = spec("a2", tenantA, { ports: port8080 });
  await startRunning(env.driver, a2);
  // reserve/attach again returns what the drivers got (the addresses live in the network's state).
  net.bc = await env.network.attach({ instanceId: bc.instanceId, tenantId: tenantB, ports: port8080 });
  net.a2 = await reserveTap(a2);
  await Promise.all([
    untilHttp200(net.bc.endpoints[0] as string),
    untilHttp200(net.a2.endpoints[0] as string),
  ]);

  // b1: B's hello server in the background while it probes its own container, A's VM and the host.
  const b1 = spec("b1", tenantB, {
    ports: port8080,
    command: [
      "/bin/busybox",
      "sh",
      "-c",
      `${probeFunction}\n/bin/hello &\nprobe $TARGETS\necho probes-done\nwait`,
    ],
  });
  // Reserved ahead (the driver's start finds the reservation), so b1's gateway is known to its targets.
  net.b1 = await reserveTap(b1);
  b1.env = {
    TARGETS: [
      `${ip("bc")}:8080`,
      `${ip("a2")}:8080`,
      ...hostTargets([hostPort("a2") as string]),
      ...hostV6(),
    ].join(" "),
  };
  await startRunning(env.driver, b1);
  await untilHttp200(net.b1.endpoints[0] as string);
  seenB = probeResults(await untilLine(env.driver, b1.instanceId, "probes-done"));

  // pa: A's probe against its own VM, B's VM and container, the host; then, root in its VM, it puts
  // an address of B's subnet on eth0 and an on-link IPv6 default route, and tries again.
  const pa = spec("pa", tenantA, {
    command: ["/bin/busybox", "sh", "-c", paScript],
  });
  const spoof = net.b1.ip.replace(/\.\d+$/, ".200");
  pa.env = {
    TARGETS: [
      `${ip("a2")}:8080`,
      "127.0.0.1:5432",
      "127.0.0.1:6379",
      `${ip("b1")}:8080`,
      `${ip("bc")}:8080`,
      ...hostTargets([hostPort("b1"), hostPort("bc"), hostPort("a2")] as string[]),
      ...hostV6(),
    ].join(" "),
    SPOOF: `${spoof}/${net.b1.prefixLen}`,
    SPOOF_TARGETS: [`${ip("b1")}:8080`, `${ip("bc")}:8080`, ...hostV6()].join(" "),
  };
  net.pa = await reserveTap(pa);
  await startRunning(env.driver, pa);
  expect(await untilEnded(env.driver, pa.instanceId)).toMatchObject({ state: "exited", exitCode: 0 });
  const lines = await consoleLines(env.driver, pa.instanceId);
  expect(lines, lines.slice(-40).join("\n")).toContain("spoof-done");
  logOf.pa = lines;
  seenA = probeResults(lines);
  spoofA = probeResults(lines, "spoof");
  for (const key of ["a2", "b1"])
    logOf[key] = await consoleLines(env.driver, specs[key]?.instanceId as string);
  logOf.bc = [];
  for await (const line of containers.logs(bc.instanceId, { follow: false })) logOf.bc.push(line);
}, 240_000);

const paScript = `${probeFunction}
probe $TARGETS
echo probes-done
ip addr add $SPOOF dev eth0 && echo spoof-address-added
ip -6 route add default dev eth0 && echo spoof-route6-added
LABEL=spoof probe $SPOOF_TARGETS
echo spoof-done`;

afterAll(async () => {
  host?.server.close();
  if (specs.bc) await containers?.stop(specs.bc.instanceId, 0).catch(() => {});
  await env?.cleanup(Object.values(specs).map((s) => s.instanceId));
}, 60_000);

/** Dropped by the rules: nc waited out its 2 s (a refused connection would say "refused"). */
function expectDropped(seen: Map<string, string>, target: string, who: string) {
  expect(seen.get(target), `${who}'s probe to ${target}`).toMatch(/^fail rc=1 .*timed out/);
}

/** The peers the hello server of `key` logged a request from ("GET / 200 PEER"). */
const peersOf = (key: string) =>
  (logOf[key] ?? []).map((l) => /^[A-Z?]+ \S+ \d{3} (\S+)$/.exec(l)?.[1]).filter((p): p is string => !!p);

describe("micro-VMs on tenant networks", () => {
  it("probed every target: a line per target from each probe", () => {
    const tally = (seen: Map<string, string>) => {
      const t: Record<string, number> = {};
      for (const v of seen.values()) {
        const k = /^ok/.test(v) ? "ok" : (/timed out|refused|unreachable/.exec(v)?.[0] ?? v);
        t[k] = (t[k] ?? 0) + 1;
      }
      return JSON.stringify(t);
    };
    console.log(`A's probe: ${tally(seenA)}; after the spoof: ${tally(spoofA)}; B's probe: ${tally(seenB)}`);
    expect(seenA.size).toBe(5 + hostTargets(["b", "c", "a"]).length + hostV6().length);
    expect(seenB.size).toBe(2 + hostTargets(["a"]).length + hostV6().length);
  });

  it("publish each instance's port on the host: HTTP 200 from every endpoint (both VMs and B's container)", async () => {
    for (const key of ["a2", "b1", "bc"]) {
      expect(net[key]?.endpoints[0], key).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await httpStatus(`http://${net[key]?.endpoints[0]}/`), key).toBe(200);
    }
  });

  it("let a tenant's VMs reach each other, and a VM its tenant's container", () => {
    expect(seenA.get(`${ip("a2")}:8080`)).toMatch(/^ok rc=0 HTTP\/1.[01] 200 OK.*Hello from Berth/);
    expect(peersOf("a2")).toContain(ip("pa"));
    expect(seenB.get(`${ip("bc")}:8080`)).toMatch(/^ok rc=0 HTTP\/1.[01] 200 OK.*Hello from Berth/);
    expect(peersOf("bc")).toContain(ip("b1"));
  });

  it("keep each tenant from the other's VM and container, by address and through the published ports", () => {
    for (const key of ["b1", "bc"]) {
      expectDropped(seenA, `${ip(key)}:8080`, "A");
      for (const t of hostTargets([]).map((t) => t.replace(/:\d+$/, `:${hostPort(key)}`)))
        expectDropped(seenA, t, "A");
    }
    expectDropped(seenB, `${ip("a2")}:8080`, "B");
    for (const t of hostTargets([]).map((t) => t.replace(/:\d+$/, `:${hostPort("a2")}`)))
      expectDropped(seenB, t, "B");
    // Nothing arrived: B's servers logged only the host's requests (through their gateway), A's none of B's.
    const subnet = (key: string) => ip(key).replace(/\.\d+$/, ".");
    for (const key of ["b1", "bc"]) {
      expect(peersOf(key).length, key).toBeGreaterThan(0);
      for (const peer of peersOf(key))
        expect(peer.startsWith(subnet("a2")), `${key} got ${peer}`).toBe(false);
    }
    expect(peersOf("a2")).not.toContain(ip("b1"));
  });

  it("keep the host's services out of reach: Postgres, Redis and a counting server on every host address", async () => {
    const service = new RegExp(`:(5432|6379|${host.port})$`);
    for (const [who, seen] of [
      ["A", seenA],
      ["B", seenB],
    ] as const) {
      const targets = hostTargets([]).filter((t) => service.test(t));
      expect(targets.length).toBeGreaterThanOrEqual(9);
      for (const t of targets) expectDropped(seen, t, who);
      // IPv6: the guests have no route to the host's global addresses.
      for (const t of hostV6()) expect(seen.get(t), `${who} to ${t}`).toMatch(/^fail rc=1/);
    }
    // 127.0.0.1 inside is the guest's own loopback: the guest's kernel refuses, nothing of the host answers.
    for (const port of [5432, 6379]) expect(seenA.get(`127.0.0.1:${port}`)).toMatch(/^fail rc=1 .*refused/);
    expect(host.hits(), "connections from the guests that reached the host's server").toBe(0);
    // The host itself reaches that server on each of those addresses: only the rules stop the guests.
    // (its external address and the two gateways: other tests' bridges may be gone by now)
    for (const addr of [...new Set([externalIpv4(), net.a2?.gateway, net.b1?.gateway])])
      expect(await httpStatus(`http://${addr}:${host.port}/`), addr).toBe(200);
    for (const addr of v6) expect(await httpStatus(`http://[${addr}]:${host.port}/`), addr).toBe(200);
    expect(host.hits()).toBeGreaterThan(0);
  });

  it("hold when the guest, root in its VM, takes an address in B's subnet and routes IPv6 on its link", () => {
    // The guest's root did change its network: the address and the route were taken.
    expect(logOf.pa).toContain("spoof-address-added");
    expect(logOf.pa).toContain("spoof-route6-added");
    for (const key of ["b1", "bc"]) expect(spoofA.get(`${ip(key)}:8080`), key).toMatch(/^fail rc=1/);
    for (const t of hostV6()) expect(spoofA.get(t), t).toMatch(/^fail rc=1/);
    expect(spoofA.size).toBe(2 + hostV6().length);
    const spoofed = ip("b1").replace(/\.\d+$/, ".200");
    for (const key of ["b1", "bc"]) expect(peersOf(key)).not.toContain(spoofed);
  });

  it("runs each tenant's QEMU as a uid of its own: A's can neither signal B's nor look into it, B's can", () => {
    const record = (key: string) =>
      JSON.parse(
        readFileSync(
          join(env.data, "microvm/instances", specs[key]?.instanceId as string, "record.json"),
          "utf8",
        ),
      ) as VmRecord;
    const [a, b] = [record("a2"), record("b1")];
    expect(a.uid).not.toBe(b.uid);
    expect(record("pa").uid).toBe(a.uid);
    // What a QEMU of A's that a guest took over could try against B's VMM: kill it, or read its
    // files (the console, the disk overlay) through /proc/PID/root. The same as B's uid works.
    const as = (uid: number, ...cmd: string[]) =>
      execFileSync("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", ...cmd], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const pid = String(b.pid);
    expect(() => as(a.uid, "/bin/busybox", "kill", "-0", pid)).toThrow(/Operation not permitted/);
    expect(() => as(a.uid, "cat", `/proc/${pid}/root/vm/console.log`)).toThrow(/Permission denied/);
    expect(as(b.uid, "/bin/busybox", "kill", "-0", pid)).toBe("");
    expect(as(b.uid, "cat", `/proc/${pid}/root/vm/console.log`)).toContain("berth-init: started");
  });
});
