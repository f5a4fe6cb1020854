// The container level's kill -9 test for micro-VMs: the `berth-agent` binary as a child process
// with the microvm level (QEMU under TCG through berth-jailer, the image store pulling
// examples/hello from the local registry, taps on tenant networks with nftables), killed with -9
// while two VMs run. QEMU runs detached in its own session and cgroups, so the VMs keep serving;
// the restarted agent adopts them from their records without restarting either.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { callerFor } from "@berth/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processStart, requireNetAndImageTools } from "./drivers/container/probekit";
import { isAlive } from "./drivers/microvm/jail";
import type { VmRecord } from "./drivers/microvm/records";
import { tapName } from "./drivers/microvm/tap";
import { HELLO, requireExampleImages } from "./images/testing";
import {
  allServing,
  joinAndRun,
  RealAgent,
  restartAndCheckReport,
  startControlPlane,
  type TestControlPlane,
} from "./real-agent-kit";
import { waitFor } from "./testing";

const replicas = 2;

let cp: TestControlPlane;
let agent: RealAgent;

beforeAll(async () => {
  requireNetAndImageTools();
  await requireExampleImages();
  agent = await RealAgent.create();
  cp = await startControlPlane({ livenessTtlMs: 60_000 });
}, 60_000);

afterAll(async () => {
  await agent?.cleanup();
  await cp?.stop();
}, 90_000);

type Seen = { endpoint: string; pid: number; started: string };

const serving = (seen: Map<string, Seen>) => allServing([...seen.values()].map((s) => s.endpoint));

const recordOf = (id: string) =>
  JSON.parse(readFileSync(join(agent.data, "microvm/instances", id, "record.json"), "utf8")) as VmRecord;

/** Per instance: its endpoint in Postgres, its QEMU's pid (from the record) and that process's start time. */
async function observe(ids: string[]): Promise<Map<string, Seen>> {
  const rows = await cp.h.deps.db.instance.findMany({ where: { id: { in: ids } } });
  return new Map(
    rows.map((r) => {
      const pid = recordOf(r.id).pid ?? 0;
      const started = pid && existsSync(`/proc/${pid}`) ? processStart(pid) : "";
      return [r.id, { endpoint: (r.endpoints as string[])[0] ?? "", pid, started }];
    }),
  );
}

describe("the real agent with micro-VMs killed with -9", () => {
  it("leaves its VMs serving, and adopts them after a restart without restarting either", async () => {
    const { h } = cp;
    const { owner, tenantId, hostId } = await joinAndRun(cp, agent, { level: "microvm", name: "vmkill9" });
    const t0 = performance.now();
    // Deployed as a script would: the REST API over HTTP, with the owner's session.
    const res = await fetch(`${cp.base}/api/v1/tenants/${tenantId}/deployments`, {
      method: "POST",
      headers: { cookie: owner.cookie, "content-type": "application/json" },
      body: JSON.stringify({
        name: "hello-vm",
        image: HELLO,
        ports: [{ port: 8080, protocol: "tcp" }],
        // Two of these fill the scheduler's view of a 2-core host (it keeps a margin): half a core each.
        cpuMillis: 500,
        memoryMiB: 128,
        replicas,
        isolation: "microvm",
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const created = (await res.json()) as { id: string; isolation: string };
    expect(created.isolation).toBe("microvm");
    const ids = (await h.deps.db.instance.findMany({ where: { deploymentId: created.id } })).map((r) => r.id);
    let states: string[] = [];
    await agent.withLog(
      waitFor(
        async () => {
          const rows = await h.deps.db.instance.findMany({ where: { deploymentId: created.id } });
          states = rows.map((r) => `${r.state}${r.reason ? ` (${r.reason})` : ""}`);
          return states.length === replicas && states.every((st) => st === "running");
        },
        { what: `${replicas} micro-VMs running`, timeoutMs: 120_000 },
      ),
      () => `; states: ${states.join(", ")}`,
    );
    console.log(
      `${replicas} micro-VMs running in ${Math.round(performance.now() - t0)} ms (deployment create to running)`,
    );
    const before = await observe(ids);
    for (const [id, s] of before) {
      expect(s.endpoint, id).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.started, `${id}'s QEMU`).not.toBe("");
    }
    await serving(before);

    agent.child?.kill("SIGKILL");
    expect(await agent.exited()).toBe("SIGKILL");
    const tDown = performance.now();
    await serving(before);
    expect(await observe(ids)).toEqual(before);

    await restartAndCheckReport(cp, agent, { ids, endpointOf: (id) => before.get(id)?.endpoint, tDown });
    const rows = await h.deps.db.instance.findMany({ where: { deploymentId: created.id } });
    expect(rows, "no instance added or replaced").toHaveLength(replicas);
    for (const r of rows) expect(r, r.id).toMatchObject({ state: "running", generation: 1, hostId });
    expect(await observe(ids), "same QEMU, same pid, same process").toEqual(before);
    expect(readdirSync(join(agent.data, "microvm/instances")).sort()).toEqual([...ids].sort());
    await serving(before);
    const log = agent.since("second run");
    expect(log).toContain("agent started");
    expect(log).not.toMatch(/micro-VM started|stopping an unwanted instance|^\S+ error /m);

    // In charge of them: stopping the deployment stops both adopted VMs and removes their taps.
    await callerFor(h, owner.actor).deployments.stop({ tenantId, deploymentId: created.id });
    await agent.withLog(
      waitFor(
        async () => {
          const ended = await h.deps.db.instance.findMany({ where: { id: { in: ids } } });
          return ended.every((r) => r.state === "stopped");
        },
        { what: "both micro-VMs stopped by the restarted agent", timeoutMs: 60_000 },
      ),
    );
    for (const [id, s] of before) {
      // A zombie counts as gone: QEMU's parent after the kill is whatever reaps orphans here.
      expect(await isAlive(s.pid, s.started), `${id}'s QEMU still runs`).toBe(false);
      expect(existsSync(`/sys/class/net/${tapName(id)}`), `${id}'s tap`).toBe(false);
      expect(recordOf(id).ended?.state).toBe("stopped");
    }
  }, 240_000);
});
