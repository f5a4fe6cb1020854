// The drivers of a real host, built from what the machine has. The container level needs runc,
// tini-static and the project's two native helpers (berth-idmap, berth-shim: `make -C native`);
// the microvm level QEMU, berth-jailer, berth-init and the guest kernel the setup fetches; the
// unikernel level QEMU, berth-jailer and skopeo (its kernels come from the registry). A level
// missing any of its parts is not offered, and the log says what to install.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Driver } from "../driver";
import { OciImageStore } from "../images";
import type { Log } from "../log";
import { createInstanceNetwork } from "../net";
import { hostAccelerator } from "../probe";
import { probeQemu } from "../probe/qemu";
import { VolumeStore } from "../volumes/store";
import { createContainerDriver, defaultIdmapHelper, defaultShim } from "./container";
import {
  createMicrovmDriver,
  defaultGuestDir,
  defaultInitBinary,
  defaultJailer,
  defaultQemu,
  loadGuestKernel,
} from "./microvm";
import { createUnikernelDriver } from "./unikernel";

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
  /** The host probe's accelerator for micro-VMs (run and join pass it); probed here when not given. */
  accelerator?: "kvm" | "tcg" | null;
  /** The volume store (default: `<dataDir>/volumes`); `run` shares it with the agent. */
  volumes?: VolumeStore;
  /** The image store (default: `<dataDir>/images`); `run` shares it with the disk sweep. */
  images?: OciImageStore;
};

export const containerPrerequisites: Record<string, string> = {
  "/usr/sbin/runc": "apt-get install runc",
  "/usr/bin/tini-static": "apt-get install tini",
  "/usr/bin/skopeo": "apt-get install skopeo",
  [defaultIdmapHelper]: "make -C native",
  [defaultShim]: "make -C native",
};

const guestDir = () => process.env.BERTH_AGENT_GUEST_DIR || defaultGuestDir;

export const microvmPrerequisites = (): Record<string, string> => ({
  [defaultQemu]: "apt-get install qemu-system-x86",
  [defaultJailer]: "make -C native",
  [defaultInitBinary]: "make -C native",
  [join(guestDir(), "current.json")]: "npm run setup (fetches the guest kernel)",
});

export const unikernelPrerequisites = (): Record<string, string> => ({
  [defaultQemu]: "apt-get install qemu-system-x86",
  [defaultJailer]: "make -C native",
  "/usr/bin/skopeo": "apt-get install skopeo",
});

/** The host's volumes: one store per data directory (its per-volume locks must be shared). */
export const volumeStoreOf = (dataDir: string) => new VolumeStore(join(dataDir, "volumes"));

/** The host's image store: one per data directory (its locks keep pulls and the disk sweep apart). */
export const imageStoreOf = (dataDir: string) => new OciImageStore({ dataDir: join(dataDir, "images") });
/** The microvm driver's data directory (its instances and its rootfs/ and initrd/ caches). */
export const microvmDataDir = (dataDir: string) => join(dataDir, "microvm");

/** Where the container driver writes each instance's console.log (shipped by the agent). */
export const containerLogsDir = (dataDir: string) => join(dataDir, "container", "instances");
/** Where the microvm driver's instances' console.log are (<dir>/<instanceId>/console.log, as the container's). */
export const microvmLogsDir = (dataDir: string) => join(microvmDataDir(dataDir), "instances");
/** The unikernel driver's instances' console.log (the library OS's serial console), laid out the same way. */
export const unikernelLogsDir = (dataDir: string) => join(dataDir, "unikernel", "instances");

function missingOf(level: string, prerequisites: Record<string, string>, log: Log): boolean {
  const missing = Object.entries(prerequisites).filter(([path]) => !existsSync(path));
  if (missing.length > 0)
    log.warn(
      `the ${level} level is not offered: missing ${missing.map(([p, fix]) => `${p} (${fix})`).join(", ")}`,
    );
  return missing.length > 0;
}

export async function realDrivers(o: RealDriversOptions): Promise<Driver[]> {
  const offerContainer = !missingOf("container", containerPrerequisites, o.log);
  const offerMicrovm = !missingOf("microvm", microvmPrerequisites(), o.log);
  const offerUnikernel = !missingOf("unikernel", unikernelPrerequisites(), o.log);
  if (!offerContainer && !offerMicrovm && !offerUnikernel) return [];
  const network = createInstanceNetwork({
    dataDir: join(o.dataDir, "net"),
    hostAddress: o.hostAddress,
    ...(o.subnet ? { subnet: o.subnet } : {}),
    ...(o.ports ? { portRange: o.ports } : {}),
    log: o.log,
  });
  if (o.restore) await network.restore();
  const images = o.images ?? imageStoreOf(o.dataDir);
  const drivers: Driver[] = [];
  if (offerContainer)
    drivers.push(
      createContainerDriver({
        dataDir: join(o.dataDir, "container"),
        images,
        network,
        volumes: o.volumes ?? volumeStoreOf(o.dataDir),
        log: o.log,
      }),
    );
  // Probed once for both virtual machine levels.
  const accelerator =
    !offerMicrovm && !offerUnikernel
      ? null
      : o.accelerator !== undefined
        ? o.accelerator
        : await hostAccelerator(await probeQemu({ timeoutMs: 5000, binary: defaultQemu }));
  if (offerMicrovm) {
    const kernel = await loadGuestKernel(guestDir());
    if (!kernel)
      o.log.warn(
        `the microvm level is not offered: ${guestDir()}/current.json names missing files (npm run setup)`,
      );
    else if (!accelerator) o.log.warn(`the microvm level is not offered: ${defaultQemu} does not run`);
    else
      drivers.push(
        createMicrovmDriver({
          dataDir: microvmDataDir(o.dataDir),
          images,
          network,
          accelerator,
          kernel,
          // The container level's uid ranges: a tenant's VMM and containers never share a uid
          // with another tenant's.
          idRangesDir: join(o.dataDir, "container"),
          log: o.log,
        }),
      );
  }
  if (offerUnikernel) {
    if (!accelerator) o.log.warn(`the unikernel level is not offered: ${defaultQemu} does not run`);
    else
      drivers.push(
        createUnikernelDriver({
          dataDir: join(o.dataDir, "unikernel"),
          images,
          network,
          accelerator,
          idRangesDir: join(o.dataDir, "container"),
          log: o.log,
        }),
      );
  }
  return drivers;
}
