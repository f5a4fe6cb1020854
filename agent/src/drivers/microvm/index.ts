import { MicrovmDriver, type MicrovmDriverOptions } from "./driver";

export { defaultJailer, defaultQemu, MicrovmDriver, type MicrovmDriverOptions } from "./driver";
export { defaultGuestDir, defaultInitBinary, loadGuestKernel } from "./guest";

/** The `microvm` isolation level's driver; the agent's LevelRouter hands it microvm instances. */
export function createMicrovmDriver(opts: MicrovmDriverOptions): MicrovmDriver {
  return new MicrovmDriver(opts);
}
