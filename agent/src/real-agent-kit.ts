// A real host for tests: the control plane (the REST API over node:http on a real Postgres, the
// worker's scheduler, reconciler and liveness monitor in this process) and the `berth-agent`
// binary as a child process, with a data directory, tenant network pool and host ports of its own.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  callerFor,
  createHarness,
  type Harness,
  makeTenant,
  signUp,
  type TestUser,
  testRedisUrl,
} from "@berth/api/testing";
import type { InstanceReport, IsolationLevel } from "@berth/contracts";
import type { Module } from "@berth/worker/src/module";
import { livenessModule } from "@berth/worker/src/modules/liveness";
import { placementModule } from "@berth/worker/src/modules/placement";
import { reconcileModule } from "@berth/worker/src/modules/reconcile";
import { createQueues } from "@berth/worker/src/queues";
import { expect } from "vitest";
import { selectDriver } from "./drivers";
import { httpStatus } from "./drivers/container/probekit";
import { silentLog } from "./log";
import { createInstanceNetwork } from "./net";
import { readState } from "./state";
import { serveRest, waitFor } from "./testing";

const bin = fileURLToPath(new URL("../bin/berth-agent.mjs", import.meta.url));

export type TestControlPlane = {
  h: Harness;
  base: string;
  /** The body of every heartbeat received, with when it arrived. */
  heartbeats: { at: Date; instances: InstanceReport[] }[];
  stop(): Promise<void>;
};

export async function startControlPlane(opts: { livenessTtlMs: number }): Promise<TestControlPlane> {
  const h = await createHarness();
  const heartbeats: TestControlPlane["heartbeats"] = [];
  const { server, base } = await serveRest(h, {
    onRequest: (r) => {
      if (r.method === "POST" && r.path === "/api/v1/agent/heartbeat")
        heartbeats.push({ at: new Date(), instances: JSON.parse(String(r.body)).instances });
    },
  });
  const queues = createQueues(testRedisUrl, h.queuePrefix);
  const db = h.deps.db;
  const modules: Module[] = [
    placementModule({ db, redisUrl: testRedisUrl, prefix: h.queuePrefix, queues }),
    reconcileModule({ db, queues, intervalMs: 1000 }),
    livenessModule({ db, queues, ttlMs: opts.livenessTtlMs }),
  ];
  for (const m of modules) await m.start();
  return {
    h,
    base,
    heartbeats,
    async stop() {
      for (const m of [...modules].reverse()) await m.stop().catch(() => {});
      await queues.close();
      const hosts = await db.host.findMany({ select: { id: true } }).catch(() => []);
      for (const { id } of hosts)
        await h.deps.redis.call("ACL", "DELUSER", `berth-host-${id}`).catch(() => {});
      await new Promise((r) => server.close(r));
      await h.close();
    },
  };
}

/** The agent binary on this host, joined and run as the operator would, killed as a test likes. */
export class RealAgent {
  /** Everything its processes wrote, each run after a line `--- NAME`. */
  log = "";
  hostId = "";
  child: ChildProcess | undefined;
  // Its own pool and port range: the developer's agent (10.88.0.0/16, 20000-29999) and other
  // tests may be running on this host at the same time.
  readonly subnet = `10.${200 + randomInt(25)}.0.0/16`;
  readonly ports = ((min) => ({ min, max: min + 49 }))(16000 + randomInt(40) * 50);

  private constructor(readonly dir: string) {}

  static async create(): Promise<RealAgent> {
    const dir = await mkdtemp(join(tmpdir(), "berth-real-agent-"));
    // runc mounts each rootfs from inside a user namespace: the parents must be searchable by all.
    await chmod(dir, 0o711);
    return new RealAgent(dir);
  }

  get data(): string {
    return join(this.dir, "data");
  }
  get runcRoot(): string {
    return join(this.data, "container/runc");
  }

  private env() {
    return {
      NODE_ENV: "test" as const,
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      BERTH_AGENT_STATE: join(this.dir, "agent.json"),
      BERTH_AGENT_DATA: this.data,
      BERTH_AGENT_ADDRESS: "127.0.0.1",
      BERTH_AGENT_SUBNET: this.subnet,
      BERTH_AGENT_PORTS: `${this.ports.min}-${this.ports.max}`,
    };
  }

  async join(server: string, token: string, name: string): Promise<string> {
    const args = ["join", "--server", server, "--token", token, "--name", name, "--address", "127.0.0.1"];
    const out = await promisify(execFile)(process.execPath, [bin, ...args], {
      env: this.env(),
      timeout: 60_000,
    });
    this.log += `--- join\n${out.stdout}${out.stderr}`;
    this.hostId = (await readState(this.env().BERTH_AGENT_STATE)).hostId;
    return this.hostId;
  }

  /** `berth-agent run` in the background; its output goes to `log` after `--- NAME`. */
  run(name: string): ChildProcess {
    this.log += `--- ${name}\n`;
    const child = spawn(process.execPath, [bin, "run"], {
      env: this.env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (c) => (this.log += c));
    child.stderr?.on("data", (c) => (this.log += c));
    this.child = child;
    return child;
  }

  /** Resolves with the signal or exit code of the running process. */
  exited(child = this.child): Promise<NodeJS.Signals | number | null> {
    return new Promise((r) => {
      if (!child || child.exitCode !== null || child.signalCode !== null)
        r(child?.signalCode ?? child?.exitCode ?? null);
      else child.once("exit", (code, signal) => r(signal ?? code));
    });
  }

  /** The log of the run called `name`. */
  since(name: string): string {
    return this.log.slice(this.log.lastIndexOf(`--- ${name}\n`));
  }

  /** A wait that fails with the agent's latest log lines, where the reason usually is. */
  async withLog<T>(wait: Promise<T>, more = () => ""): Promise<T> {
    try {
      return await wait;
    } catch (err) {
      throw new Error(`${(err as Error).message}${more()}\nthe agent's log (end):\n${this.log.slice(-6000)}`);
    }
  }

  /**
   * The process (SIGTERM leaves containers and VMs running, by design), then its instances of
   * every level and its networks through drivers on the same data directory, then the directory.
   */
  async cleanup(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await this.exited(child);
      clearTimeout(t);
    }
    const network = createInstanceNetwork({
      dataDir: join(this.data, "net"),
      subnet: this.subnet,
      portRange: this.ports,
    });
    const driver = await selectDriver({
      sim: false,
      hostId: "cleanup",
      dataDir: this.data,
      hostAddress: "127.0.0.1",
      subnet: this.subnet,
      ports: this.ports,
      log: silentLog,
      restore: false,
      accelerator: "tcg",
    });
    for (const s of await driver.list()) await driver.stop(s.instanceId, 0).catch(() => {});
    for (const id of await network.list().catch(() => [])) await network.detach(id).catch(() => {});
    if (!readFileSync("/proc/self/mountinfo", "utf8").includes(this.dir))
      await rm(this.dir, { recursive: true, force: true });
  }
}

/** An operator enrolls the agent, an owner gets a tenant, and `berth-agent run` starts. */
export async function joinAndRun(
  cp: TestControlPlane,
  agent: RealAgent,
  o: { level: IsolationLevel; name: string },
): Promise<{ owner: TestUser; tenantId: string; hostId: string }> {
  const operator = await signUp(cp.h, "Op", { operator: true });
  const owner = await signUp(cp.h, "Owner");
  const tenantId = (await makeTenant(cp.h, owner, o.name)).id;
  const { token } = await callerFor(cp.h, operator.actor).hosts.createJoinToken();
  const hostId = await agent.join(cp.base, token, `${o.name}-${randomBytes(3).toString("hex")}`);
  const host = await cp.h.deps.db.host.findUniqueOrThrow({ where: { id: hostId } });
  expect(host.isolationLevels, `the agent offers the ${o.level} level; it said:\n${agent.log}`).toContain(
    o.level,
  );
  agent.run("first run");
  await agent.withLog(
    waitFor(async () => agent.since("first run").includes("agent started"), {
      what: "the agent started",
      timeoutMs: 60_000,
    }),
  );
  return { owner, tenantId, hostId };
}

/** Resolves with the host's first heartbeat later than `after`. */
export const heartbeatAfter = (cp: TestControlPlane, agent: RealAgent, after: Date, what: string) =>
  agent.withLog(
    waitFor(
      async () => {
        const r = await cp.h.deps.db.host.findUniqueOrThrow({ where: { id: agent.hostId } });
        return r.lastHeartbeatAt && r.lastHeartbeatAt > after && r.lastHeartbeatAt;
      },
      { what: `${what} of the restarted agent`, timeoutMs: 60_000 },
    ),
  );

/** The part of a report that must not change across an agent's restart. */
export const reportView = ({ instanceId, generation, state, endpoints, reason }: InstanceReport) => ({
  instanceId,
  generation,
  state,
  endpoints,
  reason,
});

/**
 * Starts the killed agent again and checks its first heartbeat: exactly `ids`, each running at
 * generation 1 on the endpoint it had before the kill. Waits for a second heartbeat too, so the
 * agent has had time to act on what it found. `tDown` is when the kill was seen, for the log line.
 */
export async function restartAndCheckReport(
  cp: TestControlPlane,
  agent: RealAgent,
  o: { ids: readonly string[]; endpointOf: (id: string) => string | undefined; tDown: number },
): Promise<void> {
  const restartedAt = new Date();
  agent.run("second run");
  const first = await heartbeatAfter(cp, agent, restartedAt, "a heartbeat");
  console.log(`agent down, restarted and heard from in ${Math.round(performance.now() - o.tDown)} ms`);
  await heartbeatAfter(cp, agent, first, "a second heartbeat");
  const reported = cp.heartbeats.find((hb) => hb.at >= restartedAt)?.instances ?? [];
  expect(
    reported.map(reportView).sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    "the restarted agent's first heartbeat",
  ).toEqual(
    [...o.ids].sort().map((id) => ({
      instanceId: id,
      generation: 1,
      state: "running",
      endpoints: [o.endpointOf(id)],
      reason: undefined,
    })),
  );
}

/** Every endpoint answers 200 (asked in parallel). */
export async function allServing(endpoints: string[]): Promise<void> {
  const statuses = await Promise.all(
    endpoints.map((e) => httpStatus(`http://${e}/`).catch((err: Error) => err.message)),
  );
  expect(statuses, "HTTP status of each endpoint").toEqual(statuses.map(() => 200));
}
