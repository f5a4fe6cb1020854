import { UnikernelDriver, type UnikernelDriverOptions } from "./driver";

export { type ArtifactStore, UnikernelDriver, type UnikernelDriverOptions } from "./driver";

/** The `unikernel` isolation level's driver; the agent's LevelRouter hands it unikernel instances. */
export function createUnikernelDriver(opts: UnikernelDriverOptions): UnikernelDriver {
  return new UnikernelDriver(opts);
}
