// Fault tests (issue 3): each during a rollout of 200 instances on sim hosts, a fault hits
// (an agent or the worker killed with SIGKILL, Redis flushed, Postgres restarted) and afterwards
// every wanted instance runs, none runs twice, and the capacity ledger adds up. The system runs on
// its own Postgres and Redis (see services.ts); the worker and the agents are child processes.
import { callerFor } from "@berth/api/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  converged,
  DEPLOYMENTS,
  deploy,
  newRunning,
  REPLICAS,
  type Rollout,
  remove,
  settleAndCheck,
  update,
  waitFor,
} from "./rollout";
import { apiTimings, HOST_TTL_MS, type System, startSystem } from "./system";

let sys: System;

beforeAll(async () => {
  sys = await startSystem({ packedHosts: 4, simDelayMs: 20 });
}, 120_000);
afterAll(async () => {
  if (process.env.BERTH_FAULTS_VERBOSE) {
    console.log(`worker output:\n${sys?.worker.tail.text}`);
    for (const [k, t] of apiTimings)
      console.log(`${k}: n=${t.n} mean=${(t.total / t.n).toFixed(1)} max=${t.max.toFixed(0)} ms`);
  }
  await sys?.close();
}, 180_000);

/** Deploys, starts an update and returns once a quarter of the new generation runs. */
async function midRollout(slug: string): Promise<Rollout> {
  const t0 = Date.now();
  const r = await deploy(sys, slug);
  const t1 = Date.now();
  await update(sys, r, 2);
  const quarter = (DEPLOYMENTS * REPLICAS) / 4;
  await waitFor(
    `${quarter} instances of generation 2 running`,
    async () => {
      const n = await newRunning(sys, r);
      return n >= quarter ? true : `${n} running`;
    },
    60_000,
    20,
  );
  const state = await converged(sys, r);
  expect(state, "the fault must hit while the rollout is still going on").not.toBe(true);
  console.log(`${slug}: 200 running after ${t1 - t0} ms, a quarter updated ${Date.now() - t1} ms later`);
  return r;
}

describe.sequential("faults during a rollout of 200 instances", () => {
  it("kill -9 of an agent: its host goes down within the TTL and its instances run elsewhere", async () => {
    const r = await midRollout("agent-kill");
    const victim = sys.lone.hostIds[0] ?? "";
    const onVictim = await sys.deps.db.instance.findMany({
      where: { hostId: victim, state: { in: ["scheduled", "starting", "running"] } },
      select: { id: true },
    });
    expect(onVictim.length, "the victim host must run some of the rollout").toBeGreaterThan(0);
    await sys.lone.kill9();
    const killedAt = Date.now();
    const downAfter = await waitFor(
      "the killed agent's host marked down",
      async () => {
        const h = await sys.deps.db.host.findUniqueOrThrow({ where: { id: victim } });
        return h.status === "down" ? true : h.status;
      },
      HOST_TTL_MS + 10_000,
      50,
    );
    // detection: the TTL since its last heartbeat (≤ 500 ms before the kill) plus one liveness tick (1 s)
    expect(Date.now() - killedAt).toBeLessThanOrEqual(HOST_TTL_MS + 1_500);
    await settleAndCheck(sys, r, 90_000);
    const left = await sys.deps.db.instance.count({ where: { hostId: victim, state: { not: "stopped" } } });
    expect(left, "nothing is left on the dead host").toBe(0);
    const host = await sys.deps.db.host.findUniqueOrThrow({ where: { id: victim } });
    expect([host.reservedCpuMillis, host.reservedMemoryMiB, host.reservedInstances]).toEqual([0, 0, 0]);
    // the instances it ran were placed elsewhere (or retired by the rollout): none got lost
    const moved = await sys.deps.db.instance.findMany({ where: { id: { in: onVictim.map((i) => i.id) } } });
    for (const i of moved) expect([i.hostId === victim, i.state]).not.toEqual([true, "running"]);
    console.log(`agent kill: host down ${downAfter} ms after the kill`);
    await remove(sys, r);
  }, 180_000);

  it("kill -9 of the worker mid-placement: after a restart nothing is lost or doubled", async () => {
    const r = await midRollout("worker-kill");
    // the rollout places a surge instance per deployment every few ticks: kill while one is placed
    const active = await waitFor(
      "a placement in progress",
      async () => {
        const busy = await sys.deps.placementQueue.getActiveCount();
        if (busy > 0) await sys.worker.kill9();
        return busy > 0 ? true : "no placement job active";
      },
      20_000,
      5,
    );
    expect(active).toBeLessThan(20_000);
    const stranded = await sys.deps.db.instance.count({
      where: { deploymentId: { in: r.ids }, state: { in: ["pending", "scheduled", "starting", "stopping"] } },
    });
    await sys.worker.start();
    const ms = await settleAndCheck(sys, r, 120_000);
    console.log(
      `worker kill: ${stranded} instance(s) in flight at the kill; settled ${ms} ms after the restart`,
    );
    await remove(sys, r);
  }, 240_000);

  it("FLUSHALL of Redis: the reconciler rebuilds the queues and every instance reaches running", async () => {
    const r = await midRollout("flushall");
    const admin = new Redis(sys.redis.url);
    try {
      const keys = await admin.dbsize();
      expect(await admin.flushall()).toBe("OK");
      expect(keys).toBeGreaterThan(0);
      const ms = await settleAndCheck(sys, r, 90_000);
      console.log(`flushall: ${keys} keys lost; settled ${ms} ms later`);
    } finally {
      await admin.quit();
    }
    await remove(sys, r);
  }, 180_000);

  it("restart of Postgres: the API answers 503 with Retry-After meanwhile, then recovers", async () => {
    const r = await midRollout("pg-restart");
    const token = (
      await callerFor(sys.h, sys.owner.actor).tokens.create({ tenantId: r.tenantId, name: "faults" })
    ).token;
    const get = () =>
      fetch(`${sys.base}/api/v1/tenants/${r.tenantId}/deployments`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
    expect((await get()).status).toBe(200);
    const hostsBefore = await sys.deps.db.host.findMany({ where: { status: "ready" }, select: { id: true } });
    await sys.pg.stop();
    const answers: string[] = [];
    try {
      // longer than the TTL: silence while Postgres is away must not mark hosts down
      const until = Date.now() + HOST_TTL_MS + 1_000;
      while (Date.now() < until) {
        const res = await get();
        answers.push(`${res.status} retry-after=${res.headers.get("retry-after")}`);
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await sys.pg.start();
    }
    expect(answers.length).toBeGreaterThan(3);
    expect(new Set(answers)).toEqual(new Set(["503 retry-after=5"]));
    const recovered = await waitFor(
      "the API answering again",
      async () => {
        const res = await get();
        return res.status === 200 ? true : `${res.status}`;
      },
      30_000,
    );
    // no host was marked down for the silence Postgres imposed
    let downs = 0;
    const ms = await settleAndCheck(sys, r, 90_000, async () => {
      downs += await sys.deps.db.host.count({
        where: { id: { in: hostsBefore.map((h) => h.id) }, status: "down" },
      });
    });
    expect(downs, "hosts marked down after the restart").toBe(0);
    console.log(
      `postgres restart: ${answers.length} answers while down, API back ${recovered} ms after start, settled ${ms} ms later`,
    );
    await remove(sys, r);
  }, 180_000);
});
