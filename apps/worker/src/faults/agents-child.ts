// A child process of the fault tests: enrolls and runs sim agents (each its own identity, Redis
// ACL user, connections and queue) and answers the parent over IPC. A test kills it with SIGKILL
// to take its hosts away without a goodbye. It exits when the parent goes away.
// The agent's modules are imported one by one, not through @berth/agent's index: the index also
// loads the real drivers, which these tests do not need.
import { Agent } from "../../../../agent/src/agent";
import { SimDriver } from "../../../../agent/src/drivers/sim";
import { enroll } from "../../../../agent/src/enroll";
import type { HostInfo } from "../../../../agent/src/host-info";
import { silentLog } from "../../../../agent/src/log";

export type AgentsRequest =
  | {
      id: number;
      type: "start";
      server: string;
      hosts: { token: string; name: string }[];
      host: HostInfo;
      simDelayMs: number;
      heartbeatIntervalMs: number;
    }
  | { id: number; type: "list" }
  | { id: number; type: "stop" };

export type RunningInstance = { hostId: string; instanceId: string; generation: number; state: string };

export type AgentsReply =
  | { id: number; type: "started"; hostIds: string[] }
  | { id: number; type: "list"; instances: RunningInstance[] }
  | { id: number; type: "ok" }
  | { id: number; type: "error"; message: string };

const agents: { agent: Agent; driver: SimDriver }[] = [];
let stopping: Promise<unknown> | undefined;
const stopAll = () => {
  stopping ??= Promise.allSettled(agents.map((a) => a.agent.stop()));
  return stopping;
};

async function handle(m: AgentsRequest): Promise<AgentsReply> {
  switch (m.type) {
    case "start":
      for (const h of m.hosts) {
        const state = await enroll({
          server: m.server,
          joinToken: h.token,
          name: h.name,
          address: "127.0.0.1",
          labels: { sim: "true" },
          host: m.host,
          sim: true,
        });
        const driver = new SimDriver({ hostId: state.hostId, startDelayMs: m.simDelayMs });
        // the heartbeat interval must be well under the TTL the test's worker uses
        const agent = new Agent({
          state,
          driver,
          log: silentLog,
          host: m.host,
          heartbeatIntervalMs: m.heartbeatIntervalMs,
          unwantedGraceMs: 0,
        });
        await agent.start();
        agents.push({ agent, driver });
      }
      return { id: m.id, type: "started", hostIds: agents.map((a) => a.agent.hostId) };
    case "list": {
      const instances: RunningInstance[] = [];
      for (const { agent, driver } of agents)
        for (const s of await driver.list())
          instances.push({
            hostId: agent.hostId,
            instanceId: s.instanceId,
            generation: s.generation,
            state: s.state,
          });
      return { id: m.id, type: "list", instances };
    }
    case "stop":
      await stopAll();
      return { id: m.id, type: "ok" };
  }
}

process.on("message", (m: AgentsRequest) => {
  handle(m).then(
    (r) => process.send?.(r),
    (err: Error) => process.send?.({ id: m.id, type: "error", message: err.stack ?? err.message }),
  );
});
process.on("disconnect", () => {
  void stopAll().finally(() => process.exit(0));
});
