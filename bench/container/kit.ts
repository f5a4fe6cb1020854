// What the phases share: the driver under test with its real image store and network, the spec of
// a hello instance, a log that keeps the driver's per-start breakdown, and small helpers.
import { join } from "node:path";
import { type ContainerDriver, createContainerDriver } from "../../agent/src/drivers/container/index";
import type { OciImageStore } from "../../agent/src/images/index";
import { HELLO } from "../../agent/src/images/testing";
import type { Fields } from "../../agent/src/log";
import type { TenantNetwork } from "../../agent/src/net/index";
import { captureLog, helloSpecOf, storeAndNetwork } from "../lib/kit";
import type { BenchArgs } from "./args";

export type Kit = {
  dataDir: string;
  agentDir: string;
  rawDir: string;
  images: OciImageStore;
  network: TenantNetwork;
  driver: ContainerDriver;
  /** The driver's "container started" fields (ms, prepareMs, rootfsMs, runcMs) by instance id. */
  breakdowns: Map<string, Fields>;
  /** Every instance id the bench asked the driver to start, for the cleanup. */
  started: Set<string>;
  tenants: Set<string>;
  /** The last images.ensure and network.attach durations (the driver calls both in start()). */
  last: { ensureMs: number[]; attachMs: number };
  warnings: string[];
};

export function makeKit(dataDir: string, args: BenchArgs): Kit {
  const { breakdowns, warnings, log } = captureLog("container started", "debug");
  const { images, network } = storeAndNetwork(dataDir, {
    subnet: args.subnet,
    portRange: args.portRange,
    log: log({}),
  });
  const agentDir = join(dataDir, "agent");
  // Timed views of the two collaborators, to split the driver's "prepare" figure.
  const last = { ensureMs: [] as number[], attachMs: 0 };
  const timedImages = Object.create(images) as OciImageStore;
  timedImages.ensure = async (ref, o) => {
    const t = performance.now();
    try {
      return await images.ensure(ref, o);
    } finally {
      last.ensureMs.push(performance.now() - t);
    }
  };
  const timedNetwork: TenantNetwork = {
    ...network,
    attach: async (o) => {
      const t = performance.now();
      try {
        return await network.attach(o);
      } finally {
        last.attachMs = performance.now() - t;
      }
    },
  };
  const driver = createContainerDriver({
    dataDir: agentDir,
    images: timedImages,
    network: timedNetwork,
    log: log({}),
  });
  return {
    dataDir,
    agentDir,
    rawDir: join(dataDir, "raw"),
    images,
    network,
    driver,
    breakdowns,
    started: new Set(),
    tenants: new Set(),
    last,
    warnings,
  };
}

export const helloSpec = (tenantId: string, cpuMillis: number, memoryMiB: number) =>
  helloSpecOf(
    tenantId,
    { cpuMillis, memoryMiB },
    { name: "bench-hello", image: HELLO, isolation: "container" },
  );

export { pool } from "../lib/kit";
