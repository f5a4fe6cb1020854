import type { Redis } from "ioredis";
import type { Log } from "../log";
import { watchDirectory } from "./directory";
import { LogShipper, type LogShipperOptions } from "./shipper";

export { watchDirectory } from "./directory";
export type { LogShipper, LogShipperOptions } from "./shipper";

/** One per agent, on the agent's own Redis connection (see README.md for the choices made). */
export function createLogShipper(opts: LogShipperOptions): LogShipper {
  return new LogShipper(opts);
}

export type LogShipping = { shipper: LogShipper; stop: () => Promise<void> };

/** What the Agent runs: every `<dir>/<instanceId>/console.log` shipped until `stop()`. */
export function startLogShipping(opts: {
  redis: Redis;
  hostId: string;
  prefix: string;
  /** One directory per level that writes files: `<dir>/<instanceId>/console.log`. */
  dirs: string[];
  log?: Log;
}): LogShipping {
  const shipper = createLogShipper(opts);
  const unwatch = opts.dirs.map((dir) => watchDirectory(shipper, dir));
  return {
    shipper,
    stop: async () => {
      for (const u of unwatch) u();
      await shipper.close();
    },
  };
}
