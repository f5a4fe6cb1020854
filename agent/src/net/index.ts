import { createTenantNetwork, type InstanceNetworkOptions, type TenantNetwork } from "./network";

export type { Reservation, TenantNetwork } from "./network";
export { bridgeName, netnsName, vethName } from "./network";
export type { Attachment, InstanceNetwork, PortRequest } from "./types";
export type { InstanceNetworkOptions };

/** Instance networking for the drivers: see docs/networking.md. */
export function createInstanceNetwork(opts: InstanceNetworkOptions): TenantNetwork {
  return createTenantNetwork(opts);
}
