import type { Driver } from "../driver";
import { LevelRouter, realDrivers } from "./router";
import { SimDriver } from "./sim";

export { LevelRouter } from "./router";
export { SimDriver } from "./sim";

/** The driver `run` and `join` use: the sim for scale tests, else every real driver there is. */
export function selectDriver(opts: { sim: boolean; hostId: string; simDelayMs?: number }): Driver {
  if (opts.sim) return new SimDriver({ hostId: opts.hostId, startDelayMs: opts.simDelayMs });
  return new LevelRouter(realDrivers());
}
