// What the phases share: the unikernel driver under test with its real image store and tenant
// network, the spec of a hello-unikernel instance, the driver's own timing of each start (its
// "unikernel started" log line), and what the cleanup must find again.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { InstanceSpec } from "../../agent/src/driver";
import type { Accelerator } from "../../agent/src/drivers/microvm/qemu";
import { createUnikernelDriver, type UnikernelDriver } from "../../agent/src/drivers/unikernel/index";
import type { UkRecord } from "../../agent/src/drivers/unikernel/status";
import { HELLO_UNIKERNEL } from "../../agent/src/images/artifact-testing";
import { OciImageStore } from "../../agent/src/images/index";
import type { Fields, Log } from "../../agent/src/log";
import { createInstanceNetwork, type TenantNetwork } from "../../agent/src/net/index";
import type { BenchArgs } from "./args";

export { pickAccelerator } from "../microvm/kit";

export type Kit = {
  dataDir: string;
  /** The driver's data dir (instances/<id>/record.json and console.log). */
  ukDir: string;
  accelerator: Accelerator;
  images: OciImageStore;
  network: TenantNetwork;
  driver: UnikernelDriver;
  /** The driver's "unikernel started" fields (ms, prepareMs, launchMs, bootMs) by instance id. */
  breakdowns: Map<string, Fields>;
  /** Every instance id the bench asked the driver to start, for the cleanup. */
  started: Set<string>;
  warnings: string[];
};

export function makeKit(dataDir: string, args: BenchArgs, accelerator: Accelerator): Kit {
  const breakdowns = new Map<string, Fields>();
  const warnings: string[] = [];
  const log = (base: Fields): Log => ({
    debug: () => {},
    info: (msg, f) => {
      if (msg === "unikernel started" && typeof base.instance === "string")
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
    portRange: args.portRange,
    log: log({}),
  });
  const ukDir = join(dataDir, "unikernel");
  const driver = createUnikernelDriver({
    dataDir: ukDir,
    images,
    network,
    accelerator,
    startTimeoutMs: args.bootTimeoutS * 1000,
    log: log({}),
  });
  return { dataDir, ukDir, accelerator, images, network, driver, breakdowns, started: new Set(), warnings };
}

export function helloSpec(tenantId: string, args: BenchArgs): InstanceSpec {
  return {
    instanceId: randomUUID(),
    generation: 1,
    tenantId,
    deploymentId: randomUUID(),
    name: "bench-hello-uk",
    image: HELLO_UNIKERNEL,
    command: [],
    args: [],
    env: {},
    ports: [{ port: 8080, protocol: "tcp" }],
    cpuMillis: args.cpuMillis,
    memoryMiB: args.memoryMiB,
    isolation: "unikernel",
    volumes: [],
  } as InstanceSpec;
}

/** The driver's record of an instance: QEMU's pid, its tap, its uid. */
export async function recordOf(kit: Kit, id: string): Promise<UkRecord | null> {
  return readFile(join(kit.ukDir, "instances", id, "record.json"), "utf8")
    .then((t) => JSON.parse(t) as UkRecord)
    .catch(() => null);
}

/** This run's console (the last 400 characters): why a start did not answer. */
export async function consoleTail(kit: Kit, id: string): Promise<string> {
  return readFile(join(kit.ukDir, "instances", id, "console.log"), "utf8")
    .then((t) => t.replaceAll("\r", "").slice(-400))
    .catch(() => "");
}
