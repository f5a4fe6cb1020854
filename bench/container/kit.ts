// What the phases share: the driver under test with its real image store and network, the spec of
// a hello instance, a log that keeps the driver's per-start breakdown, and small helpers.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { InstanceSpec } from "../../agent/src/driver";
import { type ContainerDriver, createContainerDriver } from "../../agent/src/drivers/container/index";
import { OciImageStore } from "../../agent/src/images/index";
import { HELLO } from "../../agent/src/images/testing";
import type { Fields, Log } from "../../agent/src/log";
import { createInstanceNetwork, type TenantNetwork } from "../../agent/src/net/index";
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
  const breakdowns = new Map<string, Fields>();
  const warnings: string[] = [];
  const log = (base: Fields): Log => ({
    debug: (msg, f) => {
      if (msg === "container started" && typeof base.instance === "string")
        breakdowns.set(base.instance, f ?? {});
    },
    info: () => {},
    warn: (msg, f) => warnings.push(`${msg} ${JSON.stringify({ ...base, ...f })}`),
    error: (msg, f) => warnings.push(`${msg} ${JSON.stringify({ ...base, ...f })}`),
    child: (fields) => log({ ...base, ...fields }),
  });
  const images = new OciImageStore({ dataDir: join(dataDir, "images") });
  const network = createInstanceNetwork({
    dataDir: join(dataDir, "net"),
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

export function helloSpec(tenantId: string, cpuMillis: number, memoryMiB: number): InstanceSpec {
  return {
    instanceId: randomUUID(),
    generation: 1,
    tenantId,
    deploymentId: randomUUID(),
    name: "bench-hello",
    image: HELLO,
    command: [],
    args: [],
    env: {},
    ports: [{ port: 8080, protocol: "tcp" }],
    cpuMillis,
    memoryMiB,
    isolation: "container",
    volumes: [],
  } as InstanceSpec;
}

/** Runs `fn` over `items` with at most `limit` in flight; stops taking new items once `stop()`. */
export async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>, stop = () => false) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
