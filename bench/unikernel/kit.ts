// What the phases share: the unikernel driver under test with its real image store and tenant
// network, the spec of a hello-unikernel instance, the driver's own timing of each start (its
// "unikernel started" log line), and what the cleanup must find again.
import { join } from "node:path";
import type { Accelerator } from "../../agent/src/drivers/microvm/qemu";
import { createUnikernelDriver, type UnikernelDriver } from "../../agent/src/drivers/unikernel/index";
import type { UkRecord } from "../../agent/src/drivers/unikernel/status";
import { HELLO_UNIKERNEL } from "../../agent/src/images/artifact-testing";
import type { OciImageStore } from "../../agent/src/images/index";
import type { Fields } from "../../agent/src/log";
import type { TenantNetwork } from "../../agent/src/net/index";
import { captureLog, helloSpecOf, storeAndNetwork } from "../lib/kit";
import { readConsoleTail, readRecord } from "../lib/vm";
import type { BenchArgs } from "./args";

export { pickAccelerator } from "../lib/vm";

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
  const { breakdowns, warnings, log } = captureLog("unikernel started", "info");
  const { images, network } = storeAndNetwork(dataDir, {
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

export const helloSpec = (tenantId: string, args: BenchArgs) =>
  helloSpecOf(tenantId, args, { name: "bench-hello-uk", image: HELLO_UNIKERNEL, isolation: "unikernel" });

/** The driver's record of an instance: QEMU's pid, its tap, its uid. */
export const recordOf = (kit: Kit, id: string) => readRecord<UkRecord>(kit.ukDir, id);

/** This run's console (the last 400 characters): why a start did not answer. */
export const consoleTail = (kit: Kit, id: string) => readConsoleTail(kit.ukDir, id);
