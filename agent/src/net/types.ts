// Instance networking's contract with the drivers (container today; microvm reuses it with a tap).

export type PortRequest = { port: number; protocol: "tcp" | "udp" };

export type Attachment = {
  /** The network namespace the workload joins (a bind-mounted path under the agent's state). */
  netnsPath: string;
  /** The instance's address on its tenant's network, its prefix length and gateway. */
  ip: string;
  prefixLen: number;
  gateway: string;
  /** "ADDRESS:HOSTPORT" per requested port, in the order asked, reachable from the host. */
  endpoints: string[];
};

export interface InstanceNetwork {
  /** Creates (or finds, after an agent restart) the instance's namespace, address and published ports. */
  attach(opts: { instanceId: string; tenantId: string; ports: PortRequest[] }): Promise<Attachment>;
  /** Removes everything attach made. Unknown ids are fine. */
  detach(instanceId: string): Promise<void>;
}
