import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./exec";
import { type Attachment, bridgeName, createInstanceNetwork, netnsName, vethName } from "./index";
import { deleteAll } from "./link";
import { unpublish } from "./nft";

// Real namespaces, veths, bridges and nftables. Names carry a random suffix and the pool and
// port range are chosen at random, so parallel runs (and the driver's tests) do not collide.
const sfx = randomBytes(4).toString("hex");
const pool = `10.${100 + randomInt(100)}.0.0/16`;
// Below the ephemeral range (32768-60999): a published port hides a local server that binds it
// later, and the other test files' servers listen on ephemeral ports.
const portMin = 30000 + randomInt(50) * 50;
const portRange = { min: portMin, max: portMin + 49 };
const tenantA = `tA-${sfx}`;
const tenantB = `tB-${sfx}`;
const tenantC = `tC-${sfx}`;
const ids = {
  a1: `a1-${sfx}`,
  a2: `a2-${sfx}`,
  a3: `a3-${sfx}`,
  b1: `b1-${sfx}`,
  k1: `k1-${sfx}`,
  u1: `u1-${sfx}`,
  r1: `r1-${sfx}`,
  m1: `m1-${sfx}`,
  m2: `m2-${sfx}`,
};
// "Another machine": a namespace routed to the host over its own veth (not a berth link).
const client = { netns: `berthc-${sfx}`, link: `bxc${sfx}`, net: `172.30.${randomInt(256)}` };
const http = [{ port: 8080, protocol: "tcp" as const }];

let dataDir = "";
let www = "";
const att: Record<string, Attachment> = {};
const children: ChildProcess[] = [];
const servers: Server[] = [];
const net = () => createInstanceNetwork({ dataDir, subnet: pool, portRange });

/** Exit code of a command run inside an instance's namespace (never throws). */
function inNs(id: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", netnsName(id), ...args], { timeout: 10_000 }, (err) =>
      resolve(err ? Number((err as { code?: unknown }).code) : 0),
    );
  });
}
// curl, not busybox wget (the static busybox's wget crashes here). Exit 28 is a connect timeout:
// the packet was dropped silently, which is what the rules do (a refusal would be exit 7).
const curl = (from: string, url: string) =>
  inNs(from, ["curl", "-sf", "-o", "/dev/null", "--connect-timeout", "2", "-m", "4", url]);
const TIMEOUT = 28;

/** A TCP server on the host that counts connections: the stand-in for Postgres or Redis. */
async function hostServer(host: string): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const srv = createServer((s) => {
    hits++;
    s.end();
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, host, r));
  const addr = srv.address();
  if (!addr || typeof addr === "string") throw new Error("no address");
  return { port: addr.port, hits: () => hits };
}

async function httpStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await res.arrayBuffer();
  return res.status;
}

async function startHttpd(id: string): Promise<void> {
  const child = spawn(
    "ip",
    ["netns", "exec", netnsName(id), "busybox", "httpd", "-f", "-p", "8080", "-h", www],
    {
      stdio: "ignore",
    },
  );
  children.push(child);
  const ip = att[id]?.ip;
  for (let i = 0; i < 50; i++) {
    if (await httpStatus(`http://${ip}:8080/`).catch(() => 0)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`httpd in ${id} did not start`);
}

const hostIp = Object.entries(networkInterfaces())
  .filter(([name]) => !name.startsWith("bth-"))
  .flatMap(([, addrs]) => addrs ?? [])
  .find((a) => a.family === "IPv4" && !a.internal)?.address;

beforeAll(async () => {
  const tools: [string, string[], string][] = [
    ["nft", ["--version"], "nftables"],
    ["ip", ["-V"], "iproute2"],
    ["busybox", ["true"], "busybox-static"],
  ];
  for (const [bin, args, pkg] of tools) {
    await run(bin, args).catch((err) => {
      throw new Error(`${bin} is missing: apt-get install -y --no-install-recommends ${pkg} (${err})`);
    });
  }
  dataDir = await mkdtemp(join(tmpdir(), "berth-net-"));
  // Readable by nobody too: one test serves it as an unprivileged user.
  www = await mkdtemp(join(tmpdir(), "berth-net-www-"));
  await chmod(www, 0o755);
  await writeFile(join(www, "index.html"), "hello\n", { mode: 0o644 });
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const s of servers) s.close();
  const n = net();
  for (const id of Object.values(ids)) await n.detach(id).catch(() => {});
  // Whatever a failed run left behind, by name: never anything this file did not create.
  const all = Object.values(ids);
  await deleteAll({
    links: [
      ...all.map(vethName),
      bridgeName(tenantA, pool),
      bridgeName(tenantB, pool),
      bridgeName(tenantC, pool),
      client.link,
    ],
    netns: [...all.map(netnsName), client.netns],
  }).catch(() => {});
  const ports = Object.values(att).map((a) => ({
    protocol: "tcp",
    hostPort: Number(a.endpoints[0]?.split(":")[1]),
  }));
  await unpublish({ ports, bridge: bridgeName(tenantA, pool) }).catch(() => {});
  await unpublish({ ports: [], bridge: bridgeName(tenantB, pool) }).catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
  await rm(www, { recursive: true, force: true });
});

describe("instance networking (real namespaces and nftables)", () => {
  it("attaches instances concurrently, each with its own namespace, address and host port", async () => {
    const n = net();
    const started = Date.now();
    const [a1, a2, b1] = await Promise.all([
      n.attach({ instanceId: ids.a1, tenantId: tenantA, ports: http }),
      n.attach({ instanceId: ids.a2, tenantId: tenantA, ports: http }),
      n.attach({ instanceId: ids.b1, tenantId: tenantB, ports: http }),
    ]);
    console.log(`3 concurrent attaches (first includes the ruleset): ${Date.now() - started} ms`);
    if (!a1 || !a2 || !b1) throw new Error("attach returned nothing");
    Object.assign(att, { [ids.a1]: a1, [ids.a2]: a2, [ids.b1]: b1 });
    expect(a1.netnsPath).toBe(`/run/netns/${netnsName(ids.a1)}`);
    expect(a1.gateway).toBe(a2.gateway);
    expect(b1.gateway).not.toBe(a1.gateway);
    expect(new Set([a1.ip, a2.ip, b1.ip]).size).toBe(3);
    expect(new Set([...a1.endpoints, ...a2.endpoints, ...b1.endpoints]).size).toBe(3);
    expect(a1.endpoints[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const id of [ids.a1, ids.a2, ids.b1]) await startHttpd(id);
  });

  it("publishes the port on 127.0.0.1 and on the host's own address", async () => {
    const ep = att[ids.a1]?.endpoints[0];
    expect(await httpStatus(`http://${ep}/`)).toBe(200);
    const hostPort = ep?.split(":")[1];
    if (hostIp) expect(await httpStatus(`http://${hostIp}:${hostPort}/`)).toBe(200);
  });

  it("publishes the port to other machines (prerouting DNAT and forwarding)", async () => {
    await run("ip", ["-batch", "-"], {
      input: [
        `netns add ${client.netns}`,
        `link add ${client.link} up type veth peer name eth0 netns ${client.netns}`,
        `addr add ${client.net}.1/30 dev ${client.link}`,
        "",
      ].join("\n"),
    });
    await run("ip", ["-n", client.netns, "-batch", "-"], {
      input: `addr add ${client.net}.2/30 dev eth0\nlink set eth0 up\nroute add default via ${client.net}.1\n`,
    });
    const hostPort = att[ids.a1]?.endpoints[0]?.split(":")[1];
    const code = await new Promise<number>((resolve) =>
      execFile(
        "ip",
        [
          "netns",
          "exec",
          client.netns,
          "curl",
          "-sf",
          "-o",
          "/dev/null",
          "-m",
          "4",
          `http://${client.net}.1:${hostPort}/`,
        ],
        (err) => resolve(err ? Number((err as { code?: unknown }).code) : 0),
      ),
    );
    expect(code).toBe(0);
    await deleteAll({ links: [client.link], netns: [client.netns] });
  });

  it("lets an unprivileged workload bind a port below 1024 (ip_unprivileged_port_start=0)", async () => {
    const ns = netnsName(ids.a2);
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        www,
      ],
      { stdio: "ignore" },
    );
    children.push(child);
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await httpStatus(`http://${att[ids.a2]?.ip}:80/`).catch(() => 0);
    }
    child.kill("SIGKILL");
    expect(status).toBe(200);
  });

  it("publishes UDP ports too (an echo server in the namespace answers through the endpoint)", async () => {
    const u = await net().attach({
      instanceId: ids.u1,
      tenantId: tenantB,
      ports: [{ port: 9000, protocol: "udp" }],
    });
    const echo = `const s=require("dgram").createSocket("udp4");s.on("message",(m,r)=>s.send(m,r.port,r.address));s.bind(9000,()=>console.log("up"))`;
    const child = spawn("ip", ["netns", "exec", netnsName(ids.u1), process.execPath, "-e", echo], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await new Promise((r) => child.stdout?.once("data", r));
    const [host, port] = (u.endpoints[0] ?? "").split(":");
    const sock = createSocket("udp4");
    const reply = new Promise<string>((resolve) => sock.once("message", (m) => resolve(String(m))));
    sock.send(`ping-${sfx}`, Number(port), host);
    const got = await Promise.race([reply, new Promise((r) => setTimeout(() => r("no reply"), 3000))]);
    sock.close();
    child.kill("SIGKILL");
    expect(got).toBe(`ping-${sfx}`);
    await net().detach(ids.u1);
  });

  it("keeps endpoints serving after kill -9 of the process that attached them", async () => {
    const script = join(dataDir, "attach.mts");
    const mod = new URL("./index.ts", import.meta.url).pathname;
    await writeFile(
      script,
      `import { createInstanceNetwork } from ${JSON.stringify(mod)};
const n = createInstanceNetwork({ dataDir: ${JSON.stringify(dataDir)}, subnet: "${pool}", portRange: ${JSON.stringify(portRange)} });
const a = await n.attach({ instanceId: "${ids.k1}", tenantId: "${tenantA}", ports: [{ port: 8080, protocol: "tcp" }] });
console.log(JSON.stringify(a));
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
      });
      child.once("exit", () => reject(new Error(`attach process exited early: ${out}`)));
    });
    child.kill("SIGKILL");
    att[ids.k1] = JSON.parse(line) as Attachment;
    await startHttpd(ids.k1);
    expect(await httpStatus(`http://${att[ids.k1]?.endpoints[0]}/`)).toBe(200);
    // The restarted agent finds it as it was.
    expect(await net().attach({ instanceId: ids.k1, tenantId: tenantA, ports: http })).toEqual(att[ids.k1]);
  });

  it("lets instances of one tenant talk and keeps tenants apart", async () => {
    const [same, aToB, bToA, aToBGateway] = await Promise.all([
      curl(ids.a1, `http://${att[ids.a2]?.ip}:8080/`),
      curl(ids.a1, `http://${att[ids.b1]?.ip}:8080/`),
      curl(ids.b1, `http://${att[ids.a1]?.ip}:8080/`),
      // Not even another tenant's endpoint through the host: workloads get no hairpin.
      curl(ids.a1, `http://${att[ids.b1]?.gateway}:${att[ids.b1]?.endpoints[0]?.split(":")[1]}/`),
    ]);
    expect(same).toBe(0);
    expect(aToB).toBe(TIMEOUT);
    expect(bToA).toBe(TIMEOUT);
    expect(aToBGateway).toBe(TIMEOUT);
  });

  it("keeps workloads away from the host's services on every address", async () => {
    const open = await hostServer("0.0.0.0");
    const local = await hostServer("127.0.0.1");
    const gw = att[ids.a1]?.gateway ?? "";
    // Controls: the host itself reaches both servers.
    await run("curl", ["-s", `http://127.0.0.1:${open.port}/`]).catch(() => {});
    await run("curl", ["-s", `http://127.0.0.1:${local.port}/`]).catch(() => {});
    expect([open.hits(), local.hits()]).toEqual([1, 1]);
    // a3 routes 127.0.0.1 to the gateway, as a hostile workload could (route_localnet is on).
    const a3 = await net().attach({ instanceId: ids.a3, tenantId: tenantA, ports: [] });
    const lo = `ip route del local 127.0.0.0/8 table local; ip route del local 127.0.0.1 table local; ip route add 127.0.0.1/32 via ${a3.gateway} dev eth0`;
    const codes = await Promise.all([
      curl(ids.a1, `http://${gw}:${open.port}/`),
      curl(ids.a1, `http://${gw}:5432/`),
      curl(ids.a1, `http://${gw}:6379/`),
      curl(ids.a1, `http://${gw}:3000/`),
      ...(hostIp
        ? [curl(ids.a1, `http://${hostIp}:${open.port}/`), curl(ids.a1, `http://${hostIp}:5432/`)]
        : []),
      inNs(ids.a3, [
        "sh",
        "-c",
        `${lo} && exec curl -sf --connect-timeout 2 http://127.0.0.1:${local.port}/`,
      ]),
    ]);
    expect(codes).toEqual(codes.map(() => TIMEOUT));
    expect([open.hits(), local.hits()]).toEqual([1, 1]);
    await net().detach(ids.a3);
  });

  it("finds the same attachment after a restart (new object, same data dir)", async () => {
    const again = await net().attach({ instanceId: ids.a1, tenantId: tenantA, ports: http });
    expect(again).toEqual(att[ids.a1]);
    expect(await httpStatus(`http://${again.endpoints[0]}/`)).toBe(200);
    await expect(net().attach({ instanceId: ids.a1, tenantId: tenantB, ports: http })).rejects.toThrow(
      /already attached/,
    );
  });

  it("shares one state file safely between two objects and does not reuse a freed port at once", async () => {
    const [c1, c2, c3] = [`c1-${sfx}`, `c2-${sfx}`, `c3-${sfx}`];
    try {
      const [x, y] = await Promise.all([
        net().attach({ instanceId: c1, tenantId: tenantC, ports: http }),
        net().attach({ instanceId: c2, tenantId: tenantC, ports: http }),
      ]);
      expect(x.ip).not.toBe(y.ip);
      expect(x.endpoints[0]).not.toBe(y.endpoints[0]);
      await net().detach(c1);
      const z = await net().attach({ instanceId: c3, tenantId: tenantC, ports: http });
      expect(z.ip).toBe(x.ip); // addresses are reused within the tenant; ports are not, yet
      expect([x.endpoints[0], y.endpoints[0]]).not.toContain(z.endpoints[0]);
    } finally {
      for (const id of [c1, c2, c3]) await net().detach(id);
    }
  });

  it("reaches an address at once when it is handed out again right after a detach (eth0's MAC follows the address)", async () => {
    const eth0Mac = async (id: string) =>
      (await run("ip", ["netns", "exec", netnsName(id), "cat", "/sys/class/net/eth0/address"])).trim();
    att[ids.m1] = await net().attach({ instanceId: ids.m1, tenantId: tenantA, ports: http });
    await startHttpd(ids.m1); // the host's neighbour entry for the address is now fresh
    const first = await eth0Mac(ids.m1);
    children.at(-1)?.kill("SIGKILL");
    await net().detach(ids.m1);
    att[ids.m2] = await net().attach({ instanceId: ids.m2, tenantId: tenantA, ports: http });
    expect(att[ids.m2]?.ip).toBe(att[ids.m1]?.ip);
    expect(await eth0Mac(ids.m2)).toBe(first);
    await startHttpd(ids.m2); // within 2.5 s; a stale neighbour entry would hold it for 15 s or more
    expect(await httpStatus(`http://${att[ids.m2]?.endpoints[0]}/`)).toBe(200);
    await net().detach(ids.m2);
  });

  it("reserves an address and ports for a tap (the micro-VM path) and deletes the tap on detach", async () => {
    const id = `t1-${sfx}`;
    const tap = `btp${sfx}`;
    try {
      const n = net();
      const r = await n.reserve({ instanceId: id, tenantId: tenantA, ports: http, hostIf: tap });
      expect(r.bridge).toBe(bridgeName(tenantA, pool));
      expect(r.gateway).toBe(att[ids.a1]?.gateway);
      await run("ip", ["-batch", "-"], {
        input: `tuntap add ${tap} mode tap\nlink set ${tap} master ${r.bridge} up\n`,
      });
      expect(await run("ip", ["-o", "link", "show", "master", r.bridge])).toContain(tap);
      expect(await n.reserve({ instanceId: id, tenantId: tenantA, ports: http })).toEqual(r);
      await expect(n.attach({ instanceId: id, tenantId: tenantA, ports: http })).rejects.toThrow(/tap/);
      await n.detach(id);
      expect(await linkNames()).not.toContain(tap);
    } finally {
      await deleteAll({ links: [tap] });
    }
  });

  it("re-creates an attachment whose kernel state was lost (a reboot), by attach or restore", async () => {
    const first = await net().attach({ instanceId: ids.r1, tenantId: tenantC, ports: http });
    const hostPort = Number(first.endpoints[0]?.split(":")[1]);
    const wipe = async () => {
      await deleteAll({ links: [vethName(ids.r1), bridgeName(tenantC, pool)], netns: [netnsName(ids.r1)] });
      await unpublish({ bridge: bridgeName(tenantC, pool), ports: [{ protocol: "tcp", hostPort }] });
    };
    const present = async () => {
      const inside = await run("ip", ["-n", netnsName(ids.r1), "-br", "addr", "show", "eth0"]);
      const map = await run("nft", ["list", "map", "inet", "berth", "published"]);
      return inside.includes(first.ip) && map.includes(`tcp . ${hostPort} : ${first.ip} . 8080`);
    };
    await wipe();
    expect(await net().attach({ instanceId: ids.r1, tenantId: tenantC, ports: http })).toEqual(first);
    expect(await present()).toBe(true);
    await wipe();
    await net().restore();
    expect(await present()).toBe(true);
    expect(await linkNames()).toContain(bridgeName(tenantC, pool));
    await net().detach(ids.r1);
    expect(await linkNames()).not.toContain(bridgeName(tenantC, pool));
  });

  it("detach removes namespace, veth, DNAT and, with the tenant's last instance, the bridge", async () => {
    const n = net();
    for (const c of children) c.kill("SIGKILL");
    let t = Date.now();
    await n.detach(ids.b1);
    console.log(`detach: ${Date.now() - t} ms`);
    expect(await linkNames()).not.toContain(bridgeName(tenantB, pool));
    expect(await linkNames()).toContain(bridgeName(tenantA, pool));
    t = Date.now();
    await Promise.all([n.detach(ids.a1), n.detach(ids.a2), n.detach(ids.k1), n.detach("never-attached")]);
    console.log(`3 detaches: ${Date.now() - t} ms`);
    const links = await linkNames();
    const netns = await run("ip", ["netns", "list"]);
    const table = await run("nft", ["list", "table", "inet", "berth"]);
    for (const id of Object.values(ids)) {
      expect(links).not.toContain(vethName(id));
      expect(netns).not.toContain(netnsName(id));
    }
    for (const tn of [tenantA, tenantB]) {
      expect(links).not.toContain(bridgeName(tn, pool));
      expect(table).not.toContain(bridgeName(tn, pool));
    }
    for (const a of Object.values(att)) {
      expect(table).not.toContain(`${a.ip} . 8080`);
      expect(table).not.toMatch(new RegExp(`tcp \\. ${a.endpoints[0]?.split(":")[1]} :`));
      await expect(httpStatus(`http://${a.endpoints[0]}/`)).rejects.toThrow();
    }
    const state = JSON.parse(await readFile(join(dataDir, "network.json"), "utf8"));
    expect([state.tenants, state.instances]).toEqual([{}, {}]);
  });

  it("measures attach and detach of 10 instances", async () => {
    const n = net();
    const times: number[] = [];
    const perf = Array.from({ length: 10 }, (_, i) => `p${i}-${sfx}`);
    try {
      for (const id of perf) {
        const t = Date.now();
        await n.attach({ instanceId: id, tenantId: tenantA, ports: http });
        times.push(Date.now() - t);
      }
      const d = Date.now();
      for (const id of perf) await n.detach(id);
      const sorted = [...times].sort((x, y) => x - y);
      console.log(`attach p50 ${sorted[5]} ms, max ${sorted[9]} ms; detach avg ${(Date.now() - d) / 10} ms`);
    } finally {
      for (const id of perf) await n.detach(id).catch(() => {});
    }
    expect(await linkNames()).not.toContain(bridgeName(tenantA, pool));
  });
});

async function linkNames(): Promise<string[]> {
  const out = await run("ip", ["-o", "link", "show"]);
  return out.split("\n").map((l) => l.split(": ")[1]?.split("@")[0] ?? "");
}
