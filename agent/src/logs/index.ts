import { LogShipper, type LogShipperOptions } from "./shipper";

export { watchDirectory } from "./directory";
export type { LogShipper, LogShipperOptions } from "./shipper";

/** One per agent, on the agent's own Redis connection (see README.md for the choices made). */
export function createLogShipper(opts: LogShipperOptions): LogShipper {
  return new LogShipper(opts);
}
