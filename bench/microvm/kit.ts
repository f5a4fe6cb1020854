// What the phases share: the microvm driver under test with its real image store and tenant
// network, the spec of a hello micro-VM, the driver's own timing of each start (its "micro-VM
// started" log line), and what the cleanup must find again.
import { join } from "node:path";
import type { GuestKernel } from "../../agent/src/drivers/microvm/guest";
import { createMicrovmDriver, type MicrovmDriver } from "../../agent/src/drivers/microvm/index";
import type { Accelerator } from "../../agent/src/drivers/microvm/qemu";
import type { VmRecord } from "../../agent/src/drivers/microvm/records";
import type { OciImageStore } from "../../agent/src/images/index";
import { HELLO } from "../../agent/src/images/testing";
import type { Fields } from "../../agent/src/log";
import type { TenantNetwork } from "../../agent/src/net/index";
import { captureLog, helloSpecOf, storeAndNetwork } from "../lib/kit";
import { readRecord } from "../lib/vm";
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

export { pickAccelerator } from "../lib/vm";

export function makeKit(
  dataDir: string,
  args: BenchArgs,
  o: { accelerator: Accelerator; kernel: GuestKernel },
): Kit {
  const { breakdowns, warnings, log } = captureLog("micro-VM started", "info");
  const { images, network } = storeAndNetwork(dataDir, {
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

export const helloSpec = (tenantId: string, args: BenchArgs) =>
  helloSpecOf(tenantId, args, { name: "bench-hello-vm", image: HELLO, isolation: "microvm" });

/** The driver's record of an instance: QEMU's pid, its tap, its uid. */
export const recordOf = (kit: Kit, id: string) => readRecord<VmRecord>(kit.vmDir, id);
