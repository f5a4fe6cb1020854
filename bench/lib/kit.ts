// What every bench's kit shares: the driver's log captured (its "<level> started" fields by
// instance, its warnings and errors), the real image store and tenant network under the data dir,
// the spec of a hello instance, and a bounded pool of async work.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { InstanceSpec } from "../../agent/src/driver";
import { OciImageStore } from "../../agent/src/images/index";
import type { Fields, Log } from "../../agent/src/log";
import { createInstanceNetwork } from "../../agent/src/net/index";

/**
 * A log that keeps the fields of the driver's `started` message (logged at `level`) by instance id,
 * and every warning and error as a line; nothing else.
 */
export function captureLog(started: string, level: "debug" | "info") {
  const breakdowns = new Map<string, Fields>();
  const warnings: string[] = [];
  const keep = (base: Fields) => (msg: string, f?: Fields) => {
    if (msg === started && typeof base.instance === "string") breakdowns.set(base.instance, f ?? {});
  };
  const log = (base: Fields): Log => ({
    debug: level === "debug" ? keep(base) : () => {},
    info: level === "info" ? keep(base) : () => {},
    warn: (msg, f) => warnings.push(`${msg} ${JSON.stringify({ ...base, ...f })}`),
    error: (msg, f) => warnings.push(`${msg} ${JSON.stringify({ ...base, ...f })}`),
    child: (fields) => log({ ...base, ...fields }),
  });
  return { breakdowns, warnings, log };
}

/** The image store (<dataDir>/images) and tenant network (<dataDir>/net) the driver runs on. */
export function storeAndNetwork(
  dataDir: string,
  o: { subnet: string; portRange: { min: number; max: number }; log: Log },
) {
  const images = new OciImageStore({ dataDir: join(dataDir, "images") });
  const network = createInstanceNetwork({
    dataDir: join(dataDir, "net"),
    subnet: o.subnet,
    portRange: o.portRange,
    log: o.log,
  });
  return { images, network };
}

/** Runs `fn` over `items` with at most `limit` in flight; stops taking new items once `stop()`. */
export async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>, stop = () => false) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The spec of one hello instance of the tenant: port 8080 published, the given size. */
export function helloSpecOf(
  tenantId: string,
  size: { cpuMillis: number; memoryMiB: number },
  o: { name: string; image: string; isolation: "container" | "microvm" | "unikernel" },
): InstanceSpec {
  return {
    instanceId: randomUUID(),
    generation: 1,
    tenantId,
    deploymentId: randomUUID(),
    name: o.name,
    image: o.image,
    command: [],
    args: [],
    env: {},
    ports: [{ port: 8080, protocol: "tcp" }],
    cpuMillis: size.cpuMillis,
    memoryMiB: size.memoryMiB,
    isolation: o.isolation,
    volumes: [],
  } as InstanceSpec;
}
