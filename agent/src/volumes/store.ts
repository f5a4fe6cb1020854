// Named persistent volumes on a host: each is an ext4 file system in a sparse image file of the
// volume's size (the size is the quota: a full volume gives ENOSPC, the host's disk is safe),
// loop-mounted under the store's directory and bind-mounted into the instances that use it.
// The image outlives instances, agent restarts and host reboots (it is mounted again on use).
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { execOk } from "../images/exec";
import { KeyedLock } from "../images/lock";
import { isMountPoint, unmount } from "../images/overlay";

export type VolumeRequest = {
  volumeId: string;
  sizeMiB: number;
  /** The host uid and gid that own the volume's root: the tenant's mapped root. */
  uid: number;
  gid: number;
};

const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class VolumeStore {
  private readonly lock = new KeyedLock();

  constructor(private readonly dir: string) {}

  private paths(volumeId: string) {
    if (!idPattern.test(volumeId)) throw new Error(`volume id ${JSON.stringify(volumeId)} is not a uuid`);
    return { image: join(this.dir, `${volumeId}.ext4`), mount: join(this.dir, volumeId) };
  }

  /** Creates the volume on first use, mounts it if it is not mounted; returns the mount point. */
  ensure(v: VolumeRequest): Promise<string> {
    const p = this.paths(v.volumeId);
    return this.lock.run(v.volumeId, async () => {
      if (await isMountPoint(p.mount)) return p.mount;
      // searchable (not readable) by all: runc binds the volume from inside the tenant's user namespace
      await mkdir(this.dir, { recursive: true, mode: 0o711 });
      if (!(await exists(p.image))) {
        // made aside and renamed: a crash never leaves a half-made file system under the real name
        const tmp = `${p.image}.tmp`;
        await rm(tmp, { force: true });
        const f = await open(tmp, "w", 0o600);
        await f.truncate(v.sizeMiB * 1024 * 1024);
        await f.close();
        await execOk("mkfs.ext4", ["-q", "-F", "-m", "0", "-E", `root_owner=${v.uid}:${v.gid}`, tmp]);
        await rename(tmp, p.image);
      }
      await mkdir(p.mount, { recursive: true, mode: 0o711 });
      await execOk("mount", ["-o", "loop,nodev,nosuid", p.image, p.mount]);
      return p.mount;
    });
  }

  /** Unmounts the volume (its data stays). Unknown or unmounted volumes are fine. */
  release(volumeId: string): Promise<void> {
    const p = this.paths(volumeId);
    return this.lock.run(volumeId, async () => {
      if (await isMountPoint(p.mount)) await unmount(p.mount);
    });
  }

  /** Unmounts and deletes the volume and its data. */
  remove(volumeId: string): Promise<void> {
    const p = this.paths(volumeId);
    return this.lock.run(volumeId, async () => {
      if (await isMountPoint(p.mount)) await unmount(p.mount);
      await rm(p.mount, { recursive: true, force: true });
      await rm(p.image, { force: true });
    });
  }

  /** The ids of the volumes on this host. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(".ext4")).map((n) => n.slice(0, -".ext4".length));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
