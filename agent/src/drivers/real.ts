// The drivers of a real host, built from what the machine has. The container level needs runc,
// tini-static and the project's two native helpers (berth-idmap, berth-shim: `make -C native`);
// without any of them the level is not offered, and the log says what to install.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Driver } from "../driver";
import { OciImageStore } from "../images";
import type { Log } from "../log";
import { createInstanceNetwork } from "../net";
import { VolumeStore } from "../volumes/store";
import { createContainerDriver, defaultIdmapHelper, defaultShim } from "./container";

export type RealDriversOptions = {
  /** The agent's data directory (images, instances, networks, volumes live below it). */
  dataDir: string;
  /** The address written into endpoints (the host's address users reach). */
  hostAddress: string;
  /** Tenant networks' address pool and the published ports' range (BERTH_AGENT_SUBNET, BERTH_AGENT_PORTS). */
  subnet?: string;
  ports?: { min: number; max: number };
  log: Log;
  /** Re-create what the kernel lost since the last run (network namespaces, rules): `run` does, `join` does not. */
  restore: boolean;
};

export const containerPrerequisites: Record<string, string> = {
  "/usr/sbin/runc": "apt-get install runc",
  "/usr/bin/tini-static": "apt-get install tini",
  "/usr/bin/skopeo": "apt-get install skopeo",
  [defaultIdmapHelper]: "make -C native",
  [defaultShim]: "make -C native",
};

/** Where the container driver writes each instance's console.log (shipped by the agent). */
export const containerLogsDir = (dataDir: string) => join(dataDir, "container", "instances");

export async function realDrivers(o: RealDriversOptions): Promise<Driver[]> {
  const missing = Object.entries(containerPrerequisites).filter(([path]) => !existsSync(path));
  if (missing.length > 0) {
    o.log.warn(
      `the container level is not offered: missing ${missing.map(([p, fix]) => `${p} (${fix})`).join(", ")}`,
    );
    return [];
  }
  const network = createInstanceNetwork({
    dataDir: join(o.dataDir, "net"),
    hostAddress: o.hostAddress,
    ...(o.subnet ? { subnet: o.subnet } : {}),
    ...(o.ports ? { portRange: o.ports } : {}),
    log: o.log,
  });
  if (o.restore) await network.restore();
  return [
    createContainerDriver({
      dataDir: join(o.dataDir, "container"),
      images: new OciImageStore({ dataDir: join(o.dataDir, "images") }),
      network,
      volumes: new VolumeStore(join(o.dataDir, "volumes")),
      log: o.log,
    }),
  ];
}
