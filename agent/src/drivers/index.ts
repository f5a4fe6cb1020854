import type { Driver } from "../driver";
import type { OciImageStore } from "../images";
import type { Log } from "../log";
import type { VolumeStore } from "../volumes/store";
import { realDrivers } from "./real";
import { LevelRouter } from "./router";
import { SimDriver } from "./sim";

export {
  containerLogsDir,
  imageStoreOf,
  microvmDataDir,
  microvmLogsDir,
  unikernelLogsDir,
  volumeStoreOf,
} from "./real";
export { LevelRouter } from "./router";
export { SimDriver } from "./sim";

/** The driver `run` and `join` use: the sim for scale tests, else every real driver there is. */
export async function selectDriver(opts: {
  sim: boolean;
  hostId: string;
  simDelayMs?: number;
  dataDir: string;
  hostAddress: string;
  subnet?: string;
  ports?: { min: number; max: number };
  log: Log;
  /** `run` re-creates what the kernel lost (network namespaces, rules); `join` only asks what exists. */
  restore: boolean;
  /** The probe's accelerator for micro-VMs (probed by the drivers when not given). */
  accelerator?: "kvm" | "tcg" | null;
  /** The host's volume store, shared with the agent (which deletes deleted volumes from it). */
  volumes?: VolumeStore;
  /** The host's image store, shared with the disk sweep. */
  images?: OciImageStore;
}): Promise<Driver> {
  if (opts.sim) return new SimDriver({ hostId: opts.hostId, startDelayMs: opts.simDelayMs });
  return new LevelRouter(await realDrivers(opts));
}
