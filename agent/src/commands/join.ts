import { networkInterfaces } from "node:os";
import type { JoinArgs } from "../args";
import { selectDriver } from "../drivers";
import { checkJoinFields, enroll } from "../enroll";
import type { AgentEnv } from "../env";
import { UsageError } from "../errors";
import { describeHost, hostLabels } from "../host-info";
import type { Log } from "../log";
import { probeHost } from "../probe";
import { readState, stateExists, writeState } from "../state";

/** The address the control plane and users reach this host at: its first external IPv4. */
export function defaultAddress(): string {
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return "127.0.0.1";
}

/** `berth-agent join`: probe, exchange the join token for an identity, save it. */
export async function joinCommand(
  args: JoinArgs,
  env: AgentEnv,
  log: Log,
  deps: { fetch?: typeof fetch; out?: (line: string) => void } = {},
): Promise<void> {
  if (await stateExists(args.stateFile)) {
    const existing = await readState(args.stateFile).catch(() => null);
    const who = existing ? ` (host ${existing.hostId})` : "";
    throw new UsageError(
      `this machine has joined already${who}: ${args.stateFile} exists; remove it (or pass --state) to join again`,
    );
  }
  const address = args.address ?? defaultAddress();
  const probe = await probeHost(env);
  const driver = await selectDriver({
    sim: args.sim,
    hostId: "joining",
    dataDir: env.dataDir,
    subnet: env.subnet,
    ports: env.ports,
    hostAddress: env.address ?? address,
    log,
    restore: false,
    accelerator: probe.accelerator,
  });
  const labels = hostLabels(args.labels, driver);
  checkJoinFields({ joinToken: args.token, name: args.name, address, labels });
  const host = describeHost(probe, driver);
  log.info("probed", {
    ociRuntime: probe.ociRuntime,
    cgroup: probe.cgroup,
    qemu: probe.qemu,
    accelerator: probe.accelerator,
    levels: host.capabilities.isolationLevels.join(",") || "none",
  });
  const state = await enroll({
    server: args.server,
    joinToken: args.token,
    name: args.name,
    address,
    labels,
    host,
    sim: args.sim,
    fetch: deps.fetch,
    onRetry: (r) => log.warn(`${r.error}; retrying in ${r.waitMs} ms`),
  });
  await writeState(args.stateFile, state);
  (deps.out ?? console.log)(
    `joined as host ${state.hostId} (${args.name}); identity saved in ${args.stateFile}`,
  );
}
