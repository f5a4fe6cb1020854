// The VM's link to its tenant's network: a tap owned by the VMM's uid (so the jailed, unprivileged
// QEMU may attach to it without CAP_NET_ADMIN), a port of the tenant's bridge. The tenant network
// (agent/src/net) allocates the address and ports and deletes the tap on detach.
import { createHash } from "node:crypto";
import { run } from "../../net/exec";
import { linkExists } from "../../net/link";

/** bt + 13 hex digits of the instance id's hash: 15 characters, the kernel's limit for a link name. */
export const tapName = (instanceId: string) =>
  `bt${createHash("sha256").update(instanceId).digest("hex").slice(0, 13)}`;

/** A fresh tap (a leftover of the same name from an earlier run goes first), enslaved and up. */
export async function createTap(o: {
  name: string;
  uid: number;
  gid: number;
  bridge: string;
}): Promise<void> {
  const lines = [
    ...((await linkExists(o.name)) ? [`link del ${o.name}`] : []),
    `tuntap add dev ${o.name} mode tap user ${o.uid} group ${o.gid}`,
    `link set ${o.name} master ${o.bridge} up`,
  ];
  await run("ip", ["-batch", "-"], { input: `${lines.join("\n")}\n` });
}
