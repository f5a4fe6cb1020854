// Stops every instance an agent's data directory holds: containers outlive their agent by design
// (adoption), so the e2e stack removes them itself when it ends; then unmounts and deletes its
// volumes (loop mounts, which would outlive the directory). Usage: tsx agent-reset.ts DATA_DIR
import { createLog, selectDriver, volumeStoreOf } from "@berth/agent";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: agent-reset.ts DATA_DIR");
const driver = await selectDriver({
  sim: false,
  hostId: "e2e",
  dataDir,
  hostAddress: "127.0.0.1",
  subnet: process.env.BERTH_AGENT_SUBNET,
  log: createLog({ level: "warn" }),
  restore: false,
});
const known = await driver.list();
const live = known.filter((s) => s.state !== "stopped");
for (const s of known) await driver.stop(s.instanceId, 0);
console.log(
  `[e2e] the e2e agent's instances: ${live.length} still running stopped, ${known.length - live.length} already stopped cleaned`,
);
const volumes = volumeStoreOf(dataDir);
const held = await volumes.list();
for (const id of held) await volumes.remove(id);
if (held.length) console.log(`[e2e] the e2e agent's volumes: ${held.length} unmounted and deleted`);
