// The `microvm` isolation level: each instance a QEMU microvm (TCG or KVM) booting the guest kernel
// into berth-init, QEMU jailed by berth-jailer as the tenant's unprivileged uid in cgroups of its
// own. QEMU runs detached from the agent; everything known about a VM is its record and /proc.
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import type { InstanceSpec, InstanceStatus } from "../../driver";
import type { ImageStore, PulledImage } from "../../images/types";
import { QemuDriver, type QemuDriverOptions } from "../vm/driver";
import type { RunTarget } from "../vm/launch";
import { exitCodeOf, failureOf } from "./console";
import {
  defaultGuestDir,
  defaultInitBinary,
  ensureBaseInitrd,
  ensureRootfs,
  type GuestKernel,
  guestConfigOf,
  loadGuestKernel,
} from "./guest";
import { type GuestFiles, launch, undo } from "./launch";
import type { InstancePaths, VmRecord } from "./records";
import { statusOf, waitStarted } from "./status";

export { defaultJailer, defaultQemu } from "../vm/driver";

export type MicrovmDriverOptions = QemuDriverOptions & {
  images: ImageStore;
  /** Where current.json is (BERTH_AGENT_GUEST_DIR, default <repo>/.berth/guest). */
  guestDir?: string;
  /** The guest kernel, when the caller loaded it already (then guestKernel is known at once). */
  kernel?: GuestKernel;
  initBinary?: string;
  /** How long start waits for berth-init's `started` marker (default 60 s). */
  startTimeoutMs?: number;
};

/** What a start boots: the guest kernel, the image's root disk, the base initramfs and the config. */
type Guest = GuestFiles & { kernel: GuestKernel; image: string };

export class MicrovmDriver extends QemuDriver<MicrovmDriverOptions, VmRecord, Guest> {
  readonly levels = ["microvm"] as const;
  guestKernel?: string;
  protected override readonly name = "micro-VM";
  protected override readonly defaultStartTimeoutMs = 60_000;
  private kernel?: Promise<GuestKernel>;

  constructor(o: MicrovmDriverOptions) {
    super(o);
    if (o.kernel) {
      this.kernel = Promise.resolve(o.kernel);
      this.guestKernel = o.kernel.version;
    }
  }

  private guest(): Promise<GuestKernel> {
    this.kernel ??= loadGuestKernel(this.o.guestDir ?? defaultGuestDir).then((k) => {
      if (!k) throw new Error("no guest kernel (current.json): run `npm run setup`");
      this.guestKernel = k.version;
      return k;
    });
    this.kernel.catch(() => (this.kernel = undefined));
    return this.kernel;
  }

  /** The image, its ext4 root disk and the base initramfs; all cached after the first time. */
  private async artifacts(spec: InstanceSpec) {
    const kernel = await this.guest();
    const image: PulledImage = await this.o.images.ensure(
      spec.image,
      spec.registryAuth ? { credentials: spec.registryAuth } : undefined,
    );
    const [rootfs, baseInitrd] = await Promise.all([
      ensureRootfs({ image, cacheDir: join(this.dataDir, "rootfs") }),
      ensureBaseInitrd({
        kernel,
        initBinary: this.o.initBinary ?? defaultInitBinary,
        cacheDir: join(this.dataDir, "initrd"),
      }),
    ]);
    // Read by the VMM's unprivileged uid through the jail's read-only bind.
    await chmod(rootfs, 0o644);
    return { kernel, image, rootfs, baseInitrd };
  }

  override async prepare(spec: InstanceSpec): Promise<void> {
    await this.artifacts(spec);
  }

  protected override async prepareRun(spec: InstanceSpec): Promise<Guest> {
    const { kernel, image, rootfs, baseInitrd } = await this.artifacts(spec);
    return { kernel, image: image.digest, rootfs, baseInitrd, config: await guestConfigOf(spec, image) };
  }

  protected override imageOf(g: Guest): string {
    return g.image;
  }

  protected override launch(t: RunTarget, g: Guest): Promise<VmRecord> {
    const { kernel, image: _, ...files } = g;
    return launch({ ...this.ctx(), kernel: kernel.kernel }, { ...t, ...files });
  }

  protected override waitReady(r: VmRecord, p: InstancePaths, deadline: number) {
    return waitStarted(r, p, deadline);
  }

  /** QEMU went before berth-init started the workload: the status says why; stop cleans up. */
  protected override async gone(r: VmRecord): Promise<InstanceStatus> {
    return (await this.inspect(r.instanceId)) as InstanceStatus;
  }

  protected override async notReady(r: VmRecord, p: InstancePaths, seconds: number): Promise<string> {
    return `berth-init did not start the workload within ${seconds} s: ${await failureOf(p.console, r.consoleOffset)}`;
  }

  protected override statusOf(r: VmRecord, p: InstancePaths): Promise<InstanceStatus> {
    return statusOf(r, p);
  }

  protected override undoRun(p: InstancePaths, r: VmRecord): Promise<boolean> {
    return undo(this.ctx(), p, r, 0);
  }

  protected override async stopRun(p: InstancePaths, r: VmRecord, graceMs: number) {
    const killed = await undo(this.ctx(), p, r, graceMs);
    // berth-init's marker when the guest shut down; a VM killed before it could is the workload
    // killed (137, as a container's SIGKILL).
    return (await exitCodeOf(p.console, r.consoleOffset)) ?? (killed ? 137 : undefined);
  }
}
