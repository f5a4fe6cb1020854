// The placement benchmark (issue 3, item 9): N sim hosts, each with its own identity, credentials,
// queue and Redis connections, M instances created through the service layer, K schedulers;
// measures sustained placements per second, create-to-running p50/p99, and the Postgres
// single-row commit rate as the reference. Usage: see args.ts, or `npm run bench:placement -- --help`.
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import { describeHost, probeHost, SimDriver } from "@berth/agent";
import { closeDeps, createDeps, type Deps } from "@berth/api";
import { callerFor, type Harness, makeTenant, signUp, testRedisUrl } from "@berth/api/testing";
import { deploymentSpec, placementQueue } from "@berth/contracts";
import { reservationFor } from "@berth/core";
import { createDb } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { scopedDb } from "../../packages/api/src/scope";
import { createDeployment } from "../../packages/api/src/services/deployments";
import { type AgentPool, inParallel, type RunningInstance, startAgentPool } from "./agents";
import { readArgs } from "./args";
import { Child } from "./children";
import {
  checkEndState,
  cpuByCommand,
  cpuSnapshot,
  latencies,
  machineTicks,
  pgActivity,
  pgCommitRate,
  type Sample,
  startSampler,
  sustainedRate,
} from "./measure";
import { recordRun } from "./results";
import { startSchedulers } from "./schedulers";
import { serveRest } from "./server";
import { processMeter, round, Timings } from "./stats";

const args = readArgs(process.argv.slice(2));
// Measure what production runs: outside production, trpc-to-openapi regenerates (validates) the
// whole OpenAPI document on every REST request, which alone costs ~16 ms of CPU per request here.
// Set before any handler runs; the child processes inherit it.
(process.env as Record<string, string | undefined>).NODE_ENV ??= "production";
const nodeEnv = process.env.NODE_ENV;
const argv = process.argv.slice(2).join(" ");
const command = `npm run bench:placement${argv ? ` -- ${argv}` : ""}`;
const redisUrl = testRedisUrl;
const log = (s: string) => console.log(`[bench] ${s}`);
const n = (x: number) => x.toLocaleString("en-US");

// ---- the system's own error output: first occurrence in full, then counted per first line ----
const errorCounts = new Map<string, number>();
const consoleError = console.error.bind(console);
console.error = (...a: unknown[]) => {
  const first =
    a
      .map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : String(x)))
      .join(" ")
      .split("\n")[0] ?? "";
  const key = first.slice(0, 160);
  const seen = errorCounts.get(key) ?? 0;
  errorCounts.set(key, seen + 1);
  if (seen === 0 || key.startsWith("[bench]")) consoleError(...a);
};
function errorSummary(): Record<string, number> {
  return Object.fromEntries([...errorCounts].filter(([k]) => !k.startsWith("[bench]")));
}

// ---- cleanup: always, also on failure and on SIGINT/SIGTERM ---------------------------------
const cleanups: { what: string; fn: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      try {
        await Promise.race([
          c.fn(),
          new Promise((_, rej) => setTimeout(() => rej(new Error("timed out after 60 s")), 60_000)),
        ]);
      } catch (err) {
        console.error(`[bench] cleanup: ${c.what}: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });

async function main(): Promise<number> {
  const machine = {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memGiB: round(totalmem() / 2 ** 30),
  };
  log(`${command}`);
  log(
    `hosts ${n(args.hosts)}, instances ${n(args.instances)}, replicas ${args.replicas}, sim delay ${args.simDelayMs} ms, ` +
      `schedulers ${args.schedulers} (${args.schedulerProcs ? `${args.schedulerProcs} child process(es)` : "in this process"}), ` +
      `agents ${args.agentProcs ? `in ${args.agentProcs} child process(es)` : "in this process"}; ` +
      `${machine.cores} cores, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
  );

  const loadAvgAtStart = loadavg().map((x) => round(x, 2));
  // ---- 1. own database, own Redis prefix -------------------------------------------------------
  const database: TestDatabase = await createTestDatabase();
  cleanups.push({ what: `drop database ${database.name}`, fn: () => database.drop() });
  const prefix = `berth-bench-${randomBytes(4).toString("hex")}`;
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  admin.on("error", () => {});
  const hostIds = new Set<string>();
  cleanups.push({
    what: "redis keys and ACL users",
    fn: async () => {
      for (const h of await database.db.host.findMany({ select: { id: true } }).catch(() => []))
        hostIds.add(h.id);
      for (const id of hostIds) await admin.call("ACL", "DELUSER", `berth-host-${id}`).catch(() => {});
      let cursor = "0";
      let deleted = 0;
      do {
        const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length) deleted += await admin.unlink(...keys);
      } while (cursor !== "0");
      log(`cleanup: ${deleted} redis keys under ${prefix}:*, ${hostIds.size} ACL users removed`);
      await admin.quit();
    },
  });
  log(`database ${database.name}, redis prefix ${prefix}`);

  // ---- 3. the reference: Postgres single-row commits, on a quiet machine -----------------------
  const pgRef = await pgCommitRate(database.url, 3);
  log(
    `postgres single-row commit rate: ${n(pgRef.commitsPerSec)} commits/s (one connection, autocommit INSERT, 3 s)`,
  );

  // ---- 2. the REST API on a free loopback port -------------------------------------------------
  const apiDeps = createDeps({
    databaseUrl: database.url,
    redisUrl,
    authSecret: randomBytes(32).toString("hex"),
    baseURL: "http://127.0.0.1:3999",
    queuePrefix: prefix,
  });
  cleanups.push({ what: "API dependencies", fn: () => closeDeps(apiDeps) });
  // --api-pool: an experiment, a bigger Postgres pool for the API's agent endpoints than createDeps gives
  const deps: Deps = args.apiPool
    ? { ...apiDeps, db: createDb(database.url, { max: args.apiPool }) }
    : apiDeps;
  if (deps !== apiDeps) cleanups.push({ what: "API pool", fn: () => deps.db.$disconnect() });
  const api = await serveRest(deps);
  cleanups.push({
    what: "HTTP server",
    fn: () =>
      new Promise<void>((r) => {
        api.server.close(() => r());
        api.server.closeAllConnections();
      }),
  });
  log(`REST API on ${api.base}`);
  const h: Harness = { deps, database, queuePrefix: prefix, close: async () => {} };

  // ---- people: an operator (join tokens) and a tenant owner (deployments) ----------------------
  const operator = await signUp(h, "BenchOperator", { operator: true });
  const owner = await signUp(h, "BenchOwner");
  const tenants: string[] = [];
  for (let t = 0; t < args.tenants; t++) tenants.push((await makeTenant(h, owner, `bench${t}`)).id);
  const perTenant = Math.ceil(args.instances / args.tenants);
  const req = reservationFor({ level: "container", cpuMillis: 10, memoryMiB: 16 });
  // quotas raised so that the quota check passes (set directly: no API raises a quota this far)
  await deps.db.tenant.updateMany({
    where: { id: { in: tenants } },
    data: { quotaCpuMillis: perTenant * 10, quotaMemoryMiB: perTenant * 16, quotaInstances: perTenant },
  });

  // ---- host shape: the machine's probe, raised where M/N instances would not fit ---------------
  const probe = await probeHost({
    probeTimeoutMs: 3000,
    maxInstances: 100,
    memoryReserveMiB: undefined,
    kvmProbe: undefined,
  });
  const host = describeHost(probe, new SimDriver({ hostId: "probe" }));
  const probed = { ...host.capacity };
  const need = Math.ceil((args.instances / args.hosts) * 1.5) + 1;
  host.capacity = {
    maxInstances: Math.max(probed.maxInstances, need),
    cpuMillis: Math.max(probed.cpuMillis, need * req.cpuMillis),
    memoryMiB: Math.max(probed.memoryMiB, need * req.memoryMiB),
  };
  const capacityNote =
    host.capacity.maxInstances === probed.maxInstances &&
    host.capacity.cpuMillis === probed.cpuMillis &&
    host.capacity.memoryMiB === probed.memoryMiB
      ? "as probed"
      : `raised from the probe's ${JSON.stringify(probed)} (the Agent's host option, also sent in every heartbeat)`;
  log(`host capacity ${JSON.stringify(host.capacity)}: ${capacityNote}`);

  // ---- 4. N hosts: a join token each, enrolled and started ------------------------------------
  const tStartup = performance.now();
  const operatorApi = callerFor(h, operator.actor);
  const toJoin = await inParallel(
    Array.from({ length: args.hosts }, (_, i) => i),
    8,
    async (i) => ({
      token: (await operatorApi.hosts.createJoinToken()).token,
      name: `sim-${String(i).padStart(5, "0")}`,
    }),
  );
  const poolOptions = {
    server: api.base,
    host,
    simDelayMs: args.simDelayMs,
    concurrency: args.agentConcurrency,
  };
  let pool: AgentPool | undefined;
  const agentChildren: Child[] = [];
  if (args.agentProcs === 0) {
    pool = await startAgentPool({ ...poolOptions, hosts: toJoin });
    cleanups.push({ what: "agents", fn: () => pool?.stop() ?? Promise.resolve() });
    for (const id of pool.hostIds) hostIds.add(id);
  } else {
    for (let p = 0; p < args.agentProcs; p++) {
      const c = new Child(`agents-${p}`, { cpuProfDir: args.cpuProfDir });
      agentChildren.push(c);
      cleanups.push({ what: `agent process ${c.pid}`, fn: () => c.close() });
    }
    await Promise.all(
      agentChildren.map(async (c, p) => {
        const mine = toJoin.filter((_, i) => i % args.agentProcs === p);
        const r = await c.request<"agents">({ type: "agents", options: { ...poolOptions, hosts: mine } });
        for (const id of r.hostIds) hostIds.add(id);
      }),
    );
  }
  const ready = await waitFor(async () => {
    const c = await deps.db.host.count({ where: { status: "ready" } });
    return c === args.hosts ? c : false;
  }, 60_000);
  if (!ready) throw new Error("not every host became ready within 60 s");
  log(
    `${n(args.hosts)} hosts ready in ${round((performance.now() - tStartup) / 1000)} s (join tokens, enroll, first heartbeat, queue worker)`,
  );

  // ---- 5. K schedulers --------------------------------------------------------------------------
  const schedOptions = { databaseUrl: database.url, redisUrl, prefix };
  const schedChildren: Child[] = [];
  for (let p = 0; p < args.schedulerProcs; p++) {
    const c = new Child(`schedulers-${p}`, { cpuProfDir: args.cpuProfDir });
    schedChildren.push(c);
    cleanups.push({ what: `scheduler process ${c.pid}`, fn: () => c.close() });
  }
  let schedulersStartedAt: number | undefined;
  const startScheds = async () => {
    if (args.schedulerProcs === 0) {
      const s = await startSchedulers({ ...schedOptions, count: args.schedulers });
      cleanups.push({ what: "schedulers", fn: () => s.stop() });
    } else {
      await Promise.all(
        schedChildren.map((c, p) => {
          const count =
            Math.floor(args.schedulers / args.schedulerProcs) +
            (p < args.schedulers % args.schedulerProcs ? 1 : 0);
          return c.request<"ok">({ type: "schedulers", options: { ...schedOptions, count } });
        }),
      );
    }
    schedulersStartedAt = performance.now();
    log(`${args.schedulers} scheduler module(s) started; no liveness, no reconcile`);
  };
  if (!args.createFirst) await startScheds();
  const children = [...agentChildren, ...schedChildren];

  // ---- 6/7. create M instances, watch them get placed and run ---------------------------------
  const meter = processMeter();
  meter.start();
  await Promise.all(children.map((c) => c.request<"ok">({ type: "meter-start" })));
  const cpu0 = cpuSnapshot();
  const m0 = machineTicks();
  const t0 = performance.now();
  const sampler = startSampler(database.url, t0, 100);
  await sampler.start();
  cleanups.push({ what: "sampler", fn: () => sampler.stop() });
  const activity = pgActivity(database.url, database.name);
  await activity.start();
  cleanups.push({ what: "pg activity probe", fn: () => activity.stop() });

  const creatorDb = createDb(database.url, { max: args.createConcurrency + 1 });
  cleanups.push({ what: "creator pool", fn: () => creatorDb.$disconnect() });
  const scopes = tenants.map((id) => ({ id, scope: scopedDb(creatorDb, id) }));
  const deployments = Math.ceil(args.instances / args.replicas);
  const createTimings = new Timings();
  let createdInstances = 0;
  const createFailures = new Map<string, number>();
  let createError: Error | undefined;
  let createdAllAt: number | undefined;
  const creating = inParallel(
    Array.from({ length: deployments }, (_, i) => i),
    args.createConcurrency,
    async (i) => {
      const replicas = Math.min(args.replicas, args.instances - i * args.replicas);
      const t = scopes[i % scopes.length];
      if (!t) throw new Error("no tenant");
      const spec = deploymentSpec.parse({
        name: `bench-${i}`,
        image: "busybox",
        cpuMillis: 10,
        memoryMiB: 16,
        replicas,
        hostSelector: { sim: "true" },
      });
      // A client whose create fails tries again (up to 5 times, 1 s apart); the failures are counted.
      for (let attempt = 1; ; attempt++) {
        const s = performance.now();
        try {
          await createDeployment({
            scope: t.scope,
            tenantId: t.id,
            actor: { actorType: "user", actorId: owner.id },
            spec,
            placement: deps.placementQueue,
          });
          createTimings.add("createDeployment", performance.now() - s);
          break;
        } catch (err) {
          const e = err as Error & { code?: string };
          // a retry after a create that did commit finds the name taken: that one is done
          if (attempt > 1 && e.code === "CONFLICT") break;
          const what = `${e.code ?? e.name}: ${e.message.split("\n").filter(Boolean).pop()?.slice(0, 140)}`;
          createTimings.add(`createDeployment failed (${e.code ?? e.name})`, performance.now() - s);
          createFailures.set(what, (createFailures.get(what) ?? 0) + 1);
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      createdInstances += replicas;
    },
  ).then(
    async () => {
      createdAllAt = performance.now() - t0;
      // --create-first: the schedulers meet a full queue, which measures them alone
      if (args.createFirst) await startScheds();
    },
    (err: Error) => {
      createError = err;
    },
  );

  const deadline = t0 + args.timeoutS * 1000;
  let last: Sample = { t: 0, created: 0, placed: 0, running: 0 };
  let status: "completed" | "timeout" = "timeout";
  let lastErrs = 0;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    if (createError) throw createError;
    const s = sampler.latest();
    const act = await activity.read();
    const dt = Math.max((s.t - last.t) / 1000, 0.001);
    log(
      `${(s.t / 1000).toFixed(1).padStart(6)} s  created ${n(s.created).padStart(7)}  placed ${n(s.placed).padStart(7)} (${n(Math.round((s.placed - last.placed) / dt)).padStart(5)}/s)` +
        `  running ${n(s.running).padStart(7)} (${n(Math.round((s.running - last.running) / dt)).padStart(5)}/s)  load ${loadavg()[0]?.toFixed(2)}  pg ${act}`,
    );
    const errs = [...errorCounts].filter(([k]) => !k.startsWith("[bench]")).reduce((a, [, v]) => a + v, 0);
    if (errs > lastErrs)
      log(
        `  ${n(errs - lastErrs)} more error line(s) from the system (counted; see "errors" in the results)`,
      );
    lastErrs = errs;
    last = s;
    const done = args.placementOnly ? s.placed : s.running;
    if (done >= args.instances && createdInstances >= args.instances) {
      status = "completed";
      break;
    }
  }
  const wallS = round((performance.now() - t0) / 1000);
  const loadAtEnd = loadavg().map((x) => round(x, 2));
  // one more sample so the curve ends where the run ended
  await new Promise((r) => setTimeout(r, 150));
  await sampler.stop();
  await Promise.race([creating, new Promise((r) => setTimeout(r, 100))]);
  const cpu1 = cpuSnapshot();
  const m1 = machineTicks();
  const mainProc = meter.read();
  const childStats = await Promise.all(
    children.map(async (c) => ({
      role: c.role,
      pid: c.pid,
      ...(await c.request<"stats">({ type: "stats" })),
    })),
  );
  log(
    status === "completed"
      ? `all ${n(args.instances)} instances ${args.placementOnly ? "placed" : "running"} after ${wallS} s`
      : `TIMEOUT after ${wallS} s`,
  );

  // ---- figures ------------------------------------------------------------------------------------
  const samples = sampler.samples;
  const placed = sustainedRate(samples, "placed", args.instances);
  const running = sustainedRate(samples, "running", args.instances);
  const created = sustainedRate(samples, "created", args.instances);
  const lat = await latencies(database.url);
  const placementJobs = await placementJobStats(prefix);

  // ---- end-state checks ---------------------------------------------------------------------------
  let onAgents: RunningInstance[] = [];
  if (pool) onAgents = await pool.list();
  for (const c of agentChildren) onAgents.push(...(await c.request<"list">({ type: "list" })).instances);
  const checks = await checkEndState(database.url, args.instances, args.placementOnly ? null : onAgents, {
    requireRunning: !args.placementOnly,
  });
  for (const c of checks) log(`${c.pass ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`);
  const checksPassed = checks.every((c) => c.pass);

  const names = new Map<number, string>([[process.pid, "node (bench main)"]]);
  for (const c of children) if (c.pid) names.set(c.pid, `node (${c.role})`);
  const cpuCores = cpuByCommand(cpu0, cpu1, names);
  const machineBusy = round(((m1.busy - m0.busy) / Math.max(m1.total - m0.total, 1)) * machine.cores, 2);

  const agentTimings = pool
    ? pool.timings.summary()
    : childStats.filter((c) => c.role.startsWith("agents")).map((c) => c.timings);
  const record = {
    command,
    date: new Date().toISOString(),
    status,
    hosts: args.hosts,
    instances: args.instances,
    placementsPerSec: placed.perSec,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    pgCommitsPerSec: pgRef.commitsPerSec,
    placementsPerCommit: placed.perSec === null ? null : round(placed.perSec / pgRef.commitsPerSec, 3),
    wallS,
    checksPassed,
    machine: { ...machine, loadAvg: loadAtEnd, loadAvgAtStart, node: process.version },
    nodeEnv,
    replicas: args.replicas,
    simDelayMs: args.simDelayMs,
    schedulers: args.schedulers,
    tenants: args.tenants,
    createConcurrency: args.createConcurrency,
    apiPool: args.apiPool ?? "default (createDeps: 10)",
    processes: {
      main: `API (handleRest over node:http), deployment creation, sampler${pool ? ", all agents" : ""}${args.schedulerProcs ? "" : ", all schedulers"}`,
      agentProcesses: args.agentProcs,
      schedulerProcesses: args.schedulerProcs,
    },
    hostCapacity: host.capacity,
    hostCapacityNote: capacityNote,
    runningPerSec: running.perSec,
    createdPerSec: created.perSec,
    createFirst: args.createFirst,
    placementOnly: args.placementOnly,
    agentConcurrency: args.agentConcurrency ?? "default (8)",
    marks: {
      placed,
      running,
      created,
      createdAllAtMs: createdAllAt === undefined ? null : Math.round(createdAllAt),
      schedulersStartedAtMs: schedulersStartedAt === undefined ? null : Math.round(schedulersStartedAt - t0),
    },
    createToRunning: lat,
    checks,
    errors: errorSummary(),
    createFailures: Object.fromEntries(createFailures),
    stages: {
      createDeployment: createTimings.summary(),
      placementJobs,
      apiServer: api.timings.summary(),
      agentClient: agentTimings,
    },
    cpu: {
      machineBusyCores: machineBusy,
      coreSecondsByProcess: cpuCores,
      main: mainProc,
      children: childStats.map(({ id: _i, type: _t, timings: _x, ...c }) => c),
    },
    pgCommitReference: pgRef,
  };

  log(
    `placements/s ${placed.perSec ?? "–"} (10 %→90 %), running/s ${running.perSec ?? "–"}, created/s ${created.perSec ?? "–"}; ` +
      `create→running p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms; pg ${n(pgRef.commitsPerSec)} commits/s; ratio ${record.placementsPerCommit ?? "–"}`,
  );
  log(
    `CPU (core-seconds over ${wallS} s; machine busy ${machineBusy} of ${machine.cores} cores): ${JSON.stringify(cpuCores)}`,
  );
  log(`createDeployment: ${JSON.stringify(record.stages.createDeployment)}`);
  log(`placement jobs: ${JSON.stringify(placementJobs)}`);
  log(`API per route: ${JSON.stringify(record.stages.apiServer)}`);
  log(`main process: ${JSON.stringify(mainProc)}`);
  log(`errors printed by the system (first line → count): ${JSON.stringify(errorSummary())}`);
  log(`createDeployment failures (retried): ${JSON.stringify(Object.fromEntries(createFailures))}`);
  for (const c of childStats)
    log(`${c.role} (pid ${c.pid}): ${JSON.stringify(c.process)}; errors ${JSON.stringify(c.errors)}`);
  if (args.record) {
    const where = recordRun(record);
    log(`wrote ${where.jsonPath} and a row in ${where.mdPath}`);
  } else log("--no-record: results not written");
  return status === "completed" && checksPassed ? 0 : 1;
}

async function waitFor<T>(check: () => Promise<T | false>, timeoutMs: number): Promise<T | false> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await check();
    if (v !== false) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Wait and run times of the last (at most 1000) completed placement jobs, kept by BullMQ. */
async function placementJobStats(prefix: string) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const q = new Queue(placementQueue.name, { connection, prefix });
  try {
    const counts = await q.getJobCounts("completed", "failed", "waiting", "active", "delayed");
    const jobs = await q.getJobs(["completed"], 0, 999);
    const t = new Timings();
    for (const j of jobs) {
      if (j.processedOn && j.finishedOn) {
        t.add("wait", j.processedOn - j.timestamp);
        t.add("run", j.finishedOn - j.processedOn);
      }
    }
    return { counts, ...t.summary() };
  } finally {
    await q.close();
    await connection.quit();
  }
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`[bench] failed: ${(err as Error).stack ?? err}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
