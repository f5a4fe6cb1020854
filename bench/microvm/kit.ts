// What the phases share: the microvm driver under test with its real image store and tenant
// network, the spec of a hello micro-VM, the driver's own timing of each start (its "micro-VM
// started" log line), and what the cleanup must find again.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { InstanceSpec } from "../../agent/src/driver";
import type { GuestKernel } from "../../agent/src/drivers/microvm/guest";
import { createMicrovmDriver, type MicrovmDriver } from "../../agent/src/drivers/microvm/index";
import type { Accelerator } from "../../agent/src/drivers/microvm/qemu";
import type { VmRecord } from "../../agent/src/drivers/microvm/records";
import { OciImageStore } from "../../agent/src/images/index";
import { HELLO } from "../../agent/src/images/testing";
import type { Fields, Log } from "../../agent/src/log";
import { createInstanceNetwork, type TenantNetwork } from "../../agent/src/net/index";
import { acceleratorCache } from "../../agent/src/probe/index";
import type { BenchArgs } from "./args";

export type Kit = {
  dataDir: string;
  /** The driver's data dir (instances/<id>/record.json, rootfs and initrd caches). */
  vmDir: string;
  /** The raw boots' directories. */
  rawDir: string;
  /** The host port the raw boots' hostfwd listens on (outside the network's range). */
  rawPort: number;
  accelerator: Accelerator;
  kernel: GuestKernel;
  images: OciImageStore;
  network: TenantNetwork;
  driver: MicrovmDriver;
  /** The driver's "micro-VM started" fields (ms, prepareMs, launchMs, bootMs) by instance id. */
  breakdowns: Map<string, Fields>;
  /** Every instance id the bench asked the driver to start, for the cleanup. */
  started: Set<string>;
  /** Raw QEMU processes still running (pid), for the cleanup. */
  raw: Set<number>;
  warnings: string[];
};

/** The accelerator: asked for, or the agent's probe answer cached for this boot, or tcg. */
export async function pickAccelerator(asked: BenchArgs["accelerator"]): Promise<Accelerator> {
  if (asked !== "auto") return asked;
  const cached = await readFile(acceleratorCache, "utf8")
    .then((t) => (JSON.parse(t) as { accelerator?: string }).accelerator)
    .catch(() => undefined);
  return cached === "kvm" ? "kvm" : "tcg";
}

export function makeKit(
  dataDir: string,
  args: BenchArgs,
  o: { accelerator: Accelerator; kernel: GuestKernel },
): Kit {
  const breakdowns = new Map<string, Fields>();
  const warnings: string[] = [];
  const log = (base: Fields): Log => ({
    debug: () => {},
    info: (msg, f) => {
      if (msg === "micro-VM started" && typeof base.instance === "string")
        breakdowns.set(base.instance, f ?? {});
    },
    warn: (msg, f) => warnings.push(`${msg} ${JSON.stringify({ ...base, ...f })}`),
    error: (msg, f) => warnings.push(`${msg} ${JSON.stringify({ ...base, ...f })}`),
    child: (fields) => log({ ...base, ...fields }),
  });
  const images = new OciImageStore({ dataDir: join(dataDir, "images") });
  const network = createInstanceNetwork({
    dataDir: join(dataDir, "net"),
    subnet: args.subnet,
    portRange: { min: args.portRange.min, max: args.portRange.max - 1 },
    log: log({}),
  });
  const vmDir = join(dataDir, "microvm");
  const driver = createMicrovmDriver({
    dataDir: vmDir,
    images,
    network,
    accelerator: o.accelerator,
    kernel: o.kernel,
    startTimeoutMs: args.bootTimeoutS * 1000,
    log: log({}),
  });
  return {
    dataDir,
    vmDir,
    rawDir: join(dataDir, "raw"),
    rawPort: args.portRange.max,
    accelerator: o.accelerator,
    kernel: o.kernel,
    images,
    network,
    driver,
    breakdowns,
    started: new Set(),
    raw: new Set(),
    warnings,
  };
}

export function helloSpec(tenantId: string, args: BenchArgs): InstanceSpec {
  return {
    instanceId: randomUUID(),
    generation: 1,
    tenantId,
    deploymentId: randomUUID(),
    name: "bench-hello-vm",
    image: HELLO,
    command: [],
    args: [],
    env: {},
    ports: [{ port: 8080, protocol: "tcp" }],
    cpuMillis: args.cpuMillis,
    memoryMiB: args.memoryMiB,
    isolation: "microvm",
    volumes: [],
  } as InstanceSpec;
}

/** The driver's record of an instance: QEMU's pid, its tap, its uid. */
export async function recordOf(kit: Kit, id: string): Promise<VmRecord | null> {
  return readFile(join(kit.vmDir, "instances", id, "record.json"), "utf8")
    .then((t) => JSON.parse(t) as VmRecord)
    .catch(() => null);
}

/** Runs `fn` over `items` with at most `limit` in flight; stops taking new items once `stop()`. */
export async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>, stop = () => false) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
