import { ContainerDriver, type ContainerDriverOptions } from "./driver";

export { ContainerDriver, type ContainerDriverOptions, defaultIdmapHelper, defaultShim } from "./driver";
export type { ContainerMetrics } from "./metrics";
export { buildSpec } from "./spec";

/** The `container` isolation level's driver; the agent's LevelRouter hands it container instances. */
export function createContainerDriver(opts: ContainerDriverOptions): ContainerDriver {
  return new ContainerDriver(opts);
}
