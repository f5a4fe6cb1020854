// Tenant isolation from inside real containers on real tenant networks: the container driver with
// the real image store (examples/hello) and the real createInstanceNetwork (veths, bridges,
// nftables). The probes are workloads too: a container of each tenant whose command (the
// deployment's command override) runs the image's busybox nc against every target at once and
// prints one line per target, so every connection comes from a process in a container's
// namespaces, under its seccomp profile and capabilities. (`runc exec` cannot enter these
// containers: it joins the user namespace before the network namespace, which belongs to the
// host's, and setns fails with EPERM.)
import { randomInt, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceSpec } from "../../driver";
import { OciImageStore } from "../../images";
import { HELLO, requireExampleImages } from "../../images/testing";
import { createLog } from "../../log";
import { type Attachment, createInstanceNetwork, type TenantNetwork } from "../../net";
import { type ContainerDriver, createContainerDriver } from "./index";
import { externalIpv4, httpStatus, requireNetAndImageTools } from "./probekit";
import { instanceSpec, requireHostTools, tempDir } from "./testkit";

// A pool and a port range of their own (random, like the network module's tests), away from the
// developer's agent (10.88.0.0/16, 20000-29999) and the network tests' pools (10.100-199).
const pool = `10.${225 + randomInt(25)}.0.0/16`;
const portMin = 18000 + randomInt(40) * 50;
const portRange = { min: portMin, max: portMin + 49 };
const tenantA = randomUUID();
const tenantB = randomUUID();
const servers = { a1: tenantA, a2: tenantA, b1: tenantB };
const ids: Record<string, string> = {};

let data = "";
let network: TenantNetwork;
let driver: ContainerDriver;
const att: Record<string, Attachment> = {};
const listeners: Server[] = [];
let host: { port: number; hits: () => number };
let hostIp: string | undefined;
/** Per probing tenant, per ADDRESS:PORT: "ok BODY", or "fail" and what nc printed. */
const seen: { A: Map<string, string>; B: Map<string, string> } = { A: new Map(), B: new Map() };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spec(key: string, tenantId: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  ids[key] ??= randomUUID();
  return instanceSpec({
    instanceId: ids[key],
    tenantId,
    name: key,
    image: HELLO,
    cpuMillis: 100,
    memoryMiB: 32,
    ...over,
  });
}

// Every target at once, one line per target, then a last line. busybox nc, not wget: Debian's
// busybox 1.35 wget dies with SIGSEGV when given -T, and without it a dropped connection waits out
// the kernel's SYN retries. nc gives up a connect after 2 s ("timed out": the packet was dropped)
// and says "refused" when something answered with a reset.
const probeScript = `for t in $TARGETS; do
  ( out=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \${t%:*} \${t##*:} 2>&1); rc=$?
    if [ $rc = 0 ]; then r=ok; else r=fail; fi
    echo "probe $t $r rc=$rc $(echo "$out" | tr '\\r\\n' '  ' | head -c 200)" ) &
done
wait
echo probes-done`;

/** Runs a probe container of `tenantId` against `targets`; returns each target's outcome. */
async function probeFrom(key: string, tenantId: string, targets: string[]): Promise<Map<string, string>> {
  const s = spec(key, tenantId, { command: ["sh", "-c", probeScript], env: { TARGETS: targets.join(" ") } });
  const started = await driver.start(s);
  expect(started.state, `probe ${key}: ${JSON.stringify(started)}`).toMatch(/running|exited/);
  const deadline = Date.now() + 30_000;
  let state: string = started.state;
  while (state !== "exited" && Date.now() < deadline) {
    await sleep(100);
    state = (await driver.inspect(s.instanceId))?.state ?? "gone";
  }
  const lines: string[] = [];
  for await (const line of driver.logs(s.instanceId, { follow: false })) lines.push(line);
  expect(lines, `probe ${key} did not finish:\n${lines.join("\n")}`).toContain("probes-done");
  const out = new Map<string, string>();
  for (const line of lines) {
    const m = /^probe (\S+) (ok|fail) ?(.*)$/.exec(line);
    if (m) out.set(m[1] as string, `${m[2]} ${m[3]}`);
  }
  return out;
}

/** A TCP server on every host address that counts its connections: the host service stand-in. */
async function countingServer(): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const srv = createServer((s) => {
    hits++;
    s.end("HTTP/1.0 200 OK\r\n\r\nhost\n");
  });
  listeners.push(srv);
  await new Promise<void>((r) => srv.listen(0, "0.0.0.0", r));
  const addr = srv.address();
  if (!addr || typeof addr === "string") throw new Error("no address");
  return { port: addr.port, hits: () => hits };
}

const hostPort = (key: string) => (att[key]?.endpoints[0] ?? "").split(":")[1];
/** What tenant A's probe tries that must fail, and tenant B's: another tenant, the host. */
function forbidden(from: "A" | "B"): string[] {
  const [own, other] = from === "A" ? ["a1", "b1"] : ["b1", "a1"];
  const o = att[other] as Attachment;
  const gateways = [att[own]?.gateway, o.gateway];
  const hostAddrs = [...gateways, ...(hostIp ? [hostIp] : [])];
  return [
    `${o.ip}:8080`,
    ...hostAddrs.map((g) => `${g}:${hostPort(other)}`),
    ...hostAddrs.flatMap((addr) => [5432, 6379, host.port].map((p) => `${addr}:${p}`)),
  ];
}

beforeAll(async () => {
  requireHostTools();
  requireNetAndImageTools();
  await requireExampleImages();
  data = await tempDir("berth-ct-iso-");
  await chmod(data, 0o711);
  network = createInstanceNetwork({ dataDir: join(data, "net"), subnet: pool, portRange });
  driver = createContainerDriver({
    dataDir: join(data, "agent"),
    images: new OciImageStore({ dataDir: join(data, "images") }),
    network,
    log: createLog({ level: "warn" }),
  });
  for (const [key, tenantId] of Object.entries(servers)) {
    const s = spec(key, tenantId, { ports: [{ port: 8080, protocol: "tcp" }] });
    const status = await driver.start(s);
    expect(status, `start ${key}`).toMatchObject({ state: "running" });
    // attach again returns the attachment the driver made (addresses live in the network's state)
    att[key] = await network.attach({ instanceId: s.instanceId, tenantId, ports: s.ports });
    expect(att[key]?.endpoints).toEqual(status.endpoints);
  }
  host = await countingServer();
  hostIp = externalIpv4();
  const ownA = [`${att.a1?.ip}:8080`, `${att.a2?.ip}:8080`];
  const ownLoopback = ["127.0.0.1:5432", "127.0.0.1:6379"];
  [seen.A, seen.B] = await Promise.all([
    probeFrom("pa", tenantA, [...ownA, ...ownLoopback, ...forbidden("A")]),
    probeFrom("pb", tenantB, forbidden("B")),
  ]);
}, 120_000);

afterAll(async () => {
  for (const s of listeners) s.close();
  for (const id of Object.values(ids)) await driver?.stop(id, 0).catch(() => {});
  for (const id of Object.values(ids)) await network?.detach(id).catch(() => {});
  const mounted = data !== "" && readFileSync("/proc/self/mountinfo", "utf8").includes(data);
  if (data && !mounted) await rm(data, { recursive: true, force: true });
}, 60_000);

/** Dropped by the rules: nc waited out its 2 s (a refused connection would say "refused"). */
function expectDropped(from: "A" | "B", url: string) {
  const outcome = seen[from].get(url);
  expect(outcome, `tenant ${from}'s probe to ${url}`).toMatch(/^fail rc=1 .*timed out/);
}

describe("containers on tenant networks", () => {
  it("publish each instance's port on the host: HTTP 200 from every endpoint", async () => {
    for (const key of Object.keys(servers)) {
      const [endpoint] = att[key]?.endpoints ?? [];
      expect(endpoint, key).toMatch(/^127\.0\.0\.1:\d+$/);
      // b1 is probed only from outside its tenant: give its server a moment to listen.
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await httpStatus(`http://${endpoint}/`).catch(() => 0);
        if (status !== 200) await sleep(50);
      }
      expect(status, `${key} at ${endpoint}`).toBe(200);
    }
  });

  it("let the containers of one tenant reach each other", () => {
    for (const key of ["a1", "a2"])
      expect(seen.A.get(`${att[key]?.ip}:8080`), key).toMatch(/^ok rc=0 HTTP\/1.1 200 OK.*Hello from Berth/);
  });

  it("keep each tenant from the other's containers, by address and through the published port", async () => {
    for (const [from, other] of [
      ["A", "b1"],
      ["B", "a1"],
    ] as const) {
      expectDropped(from, `${att[other]?.ip}:8080`);
      for (const url of forbidden(from).filter((u) => u.endsWith(`:${hostPort(other)}`)))
        expectDropped(from, url);
    }
    // Both were up all along: their endpoints answer the host.
    for (const key of ["a1", "b1"]) expect(await httpStatus(`http://${att[key]?.endpoints[0]}/`)).toBe(200);
  });

  it("keep the host's services out of reach: Postgres, Redis and a server on every address", async () => {
    const service = /:(5432|6379)$/;
    for (const from of ["A", "B"] as const) {
      const urls = forbidden(from).filter((u) => service.test(u) || u.endsWith(`:${host.port}`));
      expect(urls.length).toBeGreaterThanOrEqual(6);
      for (const url of urls) expectDropped(from, url);
    }
    expect(host.hits(), "connections from the workloads that reached the host's server").toBe(0);
    // The host itself reaches that server on each of those addresses: only the rules stop workloads.
    for (const addr of [att.a1?.gateway, att.b1?.gateway, ...(hostIp ? [hostIp] : [])])
      expect(await httpStatus(`http://${addr}:${host.port}/`), addr).toBe(200);
    // 127.0.0.1 inside is the container's own loopback: nothing of the host's answers there.
    for (const port of [5432, 6379]) expect(seen.A.get(`127.0.0.1:${port}`)).toMatch(/^fail rc=1 .*refused/);
  });
});
