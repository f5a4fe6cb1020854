// The whole system for the fault tests, every part real: its own Postgres and Redis, the REST API
// (handleRest over node:http) in this process, the worker (main.ts) and the sim agents as child
// processes. Everything is stopped and deleted by close(), also after a failure.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { closeDeps, createDeps, type Deps, handleNodeRest } from "@berth/api";
import { callerFor, type Harness, makeTenant, signUp, type TestUser } from "@berth/api/testing";
import { createDb } from "@berth/db";
import { migrate } from "@berth/db/migrate";
import { AgentsProcess, WorkerProcess } from "./processes";
import { type OwnPostgres, type OwnRedis, startPostgres, startRedis } from "./services";

export const HOST_TTL_MS = 3_000;
const HEARTBEAT_MS = 500;
const host = {
  capacity: { cpuMillis: 64_000, memoryMiB: 65_536, maxInstances: 150 },
  capabilities: {
    isolationLevels: ["container" as const, "microvm" as const, "unikernel" as const],
    accelerator: null,
    guestKernel: null,
    ociRuntime: null,
    cgroup: null,
    sim: true,
  },
};

/** Slowest and mean time of the API's answers per route, for the report of a slow run. */
export const apiTimings = new Map<string, { n: number; total: number; max: number }>();
function time(method: string, url: string, status: number, ms: number) {
  const key = `${method} ${url.replace(/[0-9a-f-]{36}/g, ":id").split("?")[0]} ${status}`;
  const t = apiTimings.get(key) ?? { n: 0, total: 0, max: 0 };
  apiTimings.set(key, { n: t.n + 1, total: t.total + ms, max: Math.max(t.max, ms) });
}

/** The REST API as the web app's route handlers serve it; a thrown error is a 500 (a bug). */
async function serveRest(deps: Deps): Promise<{ server: Server; base: string }> {
  const server = createServer(async (req, res) => {
    const t0 = performance.now();
    res.once("finish", () =>
      time(req.method ?? "GET", req.url ?? "/", res.statusCode, performance.now() - t0),
    );
    try {
      await handleNodeRest(deps, req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "INTERNAL", message: `handleRest threw: ${(err as Error).message}` }));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export type System = {
  pg: OwnPostgres;
  redis: OwnRedis;
  deps: Deps;
  h: Harness;
  base: string;
  worker: WorkerProcess;
  /** The victim: one agent alone in its process. */
  lone: AgentsProcess;
  /** The other agents, packed into one process. */
  pack: AgentsProcess;
  owner: TestUser;
  close(): Promise<void>;
};

export async function startSystem(opts: { packedHosts: number; simDelayMs: number }): Promise<System> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const killers: (() => void)[] = [];
  const onExit = () => {
    for (const k of killers) k();
  };
  process.once("exit", onExit);
  const close = async () => {
    for (const c of cleanups.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out after 20 s")), 20_000);
      });
      await Promise.race([c(), timeout])
        .catch((err) => console.error(`faults cleanup: ${err}`))
        .finally(() => clearTimeout(timer));
    }
    cleanups.length = 0;
    process.off("exit", onExit);
  };
  // as in production: otherwise trpc-to-openapi validates its whole document on every request
  // (~16 ms of CPU each), and this process serves every agent
  (process.env as Record<string, string | undefined>).NODE_ENV = "production";
  try {
    const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    cleanups.push(
      () => pg.destroy(),
      () => redis.destroy(),
    );
    killers.push(
      () => pg.killNow(),
      () => redis.killNow(),
    );
    const databaseUrl = pg.url.replace(/\/postgres$/, "/berth");
    const admin = createDb(pg.url, { max: 1 });
    await admin.$executeRawUnsafe("CREATE DATABASE berth");
    await admin.$disconnect();
    await migrate(databaseUrl);
    const queuePrefix = "berth";
    const deps = createDeps({
      databaseUrl,
      redisUrl: redis.url,
      authSecret: randomBytes(32).toString("hex"),
      baseURL: "http://127.0.0.1:3999",
      queuePrefix,
    });
    cleanups.push(() => closeDeps(deps));
    const { server, base } = await serveRest(deps);
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    );
    const h: Harness = {
      deps,
      database: { name: "berth", url: databaseUrl, db: deps.db, drop: async () => {} },
      queuePrefix,
      close: async () => {},
    };
    const worker = new WorkerProcess({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      BERTH_QUEUE_PREFIX: queuePrefix,
      BERTH_HOST_TTL_MS: String(HOST_TTL_MS),
      BERTH_RECONCILE_INTERVAL_MS: "200",
      BERTH_SHUTDOWN_TIMEOUT_MS: "5000",
    });
    // the database and Redis go away with the test: nothing is gained by a graceful stop
    cleanups.push(() => worker.kill9());
    killers.push(() => worker.killNow());
    await worker.start();

    const operator = await signUp(h, "Operator", { operator: true });
    const owner = await signUp(h, "Owner");
    const joinToken = async (name: string) => ({
      name,
      token: (await callerFor(h, operator.actor).hosts.createJoinToken()).token,
    });
    const lone = new AgentsProcess("lone agent");
    const pack = new AgentsProcess("packed agents");
    cleanups.push(
      () => lone.kill9(),
      () => pack.kill9(),
    );
    killers.push(
      () => lone.killNow(),
      () => pack.killNow(),
    );
    const common = { server: base, host, simDelayMs: opts.simDelayMs, heartbeatIntervalMs: HEARTBEAT_MS };
    const packed = [];
    for (let i = 0; i < opts.packedHosts; i++) packed.push(await joinToken(`sim-${i}`));
    await Promise.all([
      lone.start({ ...common, hosts: [await joinToken("sim-lone")] }),
      pack.start({ ...common, hosts: packed }),
    ]);
    return { pg, redis, deps, h, base, worker, lone, pack, owner, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A tenant with quotas big enough for a rollout of `instances` (no API raises quotas this far). */
export async function bigTenant(sys: System, slug: string, instances: number) {
  const t = await makeTenant(sys.h, sys.owner, slug);
  await sys.deps.db.tenant.update({
    where: { id: t.id },
    data: {
      quotaInstances: instances * 2,
      quotaCpuMillis: instances * 2_000,
      quotaMemoryMiB: instances * 2_048,
    },
  });
  return t;
}
