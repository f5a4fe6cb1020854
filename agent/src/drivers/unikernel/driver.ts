// The `unikernel` isolation level: each instance a unikernel artifact's kernel (docs/unikernel.md)
// booted by QEMU microvm with -kernel, jailed like a micro-VM (berth-jailer, the tenant's uid,
// cgroups of its own, its tap on the tenant's bridge). No Linux, no initramfs, no disk: the
// console is the only thing the guest says, and QEMU the only thing there is to stop.
import { ukEnvProblem } from "@berth/contracts";
import type { InstanceSpec, InstanceStatus } from "../../driver";
import type { ImageStore, RegistryCredentials, UnikernelArtifact } from "../../images/types";
import type { InstancePaths } from "../microvm/records";
import { QemuDriver, type QemuDriverOptions } from "../vm/driver";
import type { RunTarget } from "../vm/launch";
import { tailOf } from "./console";
import { launch, undo } from "./launch";
import { ukCmdlineTooLong } from "./qemu";
import { endOf, statusOf, type UkRecord, waitReady } from "./status";

/** The store's artifact pull (OciImageStore.ensureArtifact). */
export type ArtifactStore = Required<Pick<ImageStore, "ensureArtifact">>;

export type UnikernelDriverOptions = QemuDriverOptions & {
  images: ArtifactStore;
  /** How long start waits for the ready line (`listening`, or `booting` without ports; default 30 s). */
  startTimeoutMs?: number;
};

export class UnikernelDriver extends QemuDriver<UnikernelDriverOptions, UkRecord, UnikernelArtifact> {
  readonly levels = ["unikernel"] as const;
  protected override readonly name = "unikernel";
  protected override readonly defaultStartTimeoutMs = 30_000;

  /** The artifact (pulled once); an OCI container image is refused with the store's reason. */
  private artifact(spec: InstanceSpec): Promise<UnikernelArtifact> {
    const credentials: RegistryCredentials | undefined = spec.registryAuth;
    return this.o.images.ensureArtifact(spec.image, credentials ? { credentials } : undefined);
  }

  override async prepare(spec: InstanceSpec): Promise<void> {
    await this.artifact(spec);
  }

  /**
   * What the control plane refuses already (packages/core's unsupportedAtLevel), refused again
   * here for a spec recorded before a rule existed: the run would not be what was asked for.
   */
  protected override refuse(spec: InstanceSpec): void {
    if ((spec.volumes ?? []).length > 0) throw new Error("volumes are not supported at the unikernel level");
    for (const field of ["command", "args"] as const)
      if (spec[field].length > 0)
        throw new Error(`${field}: a unikernel runs the one program linked into it; it takes no ${field}`);
    const env = ukEnvProblem(spec.env);
    if (env) throw new Error(env);
  }

  /** The artifact, once its own command line is known to leave room for the network and the env. */
  protected override async prepareRun(spec: InstanceSpec): Promise<UnikernelArtifact> {
    const artifact = await this.artifact(spec);
    const tooLong = ukCmdlineTooLong(artifact.cmdline, spec.env);
    if (tooLong) throw new Error(tooLong);
    return artifact;
  }

  protected override launch(t: RunTarget, artifact: UnikernelArtifact): Promise<UkRecord> {
    return launch(this.ctx(), { ...t, artifact });
  }

  protected override waitReady(r: UkRecord, p: InstancePaths, deadline: number) {
    return waitReady(r, p, deadline);
  }

  /** Halted or crashed before it was ready: a failed start, cleaned up now, its end recorded. */
  protected override async gone(r: UkRecord, p: InstancePaths): Promise<InstanceStatus> {
    await this.undoRun(p, r);
    const end = await endOf(r, p);
    return this.failed(p, r, {
      state: "failed",
      ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
      reason:
        end.state === "failed"
          ? end.reason
          : `the unikernel halted (code ${end.exitCode}) before it was ${r.readyOn}`,
    });
  }

  protected override async notReady(r: UkRecord, p: InstancePaths, seconds: number): Promise<string> {
    return `the unikernel did not say it was ${r.readyOn} within ${seconds} s: ${await tailOf(p.console, r.consoleOffset)}`;
  }

  protected override statusOf(r: UkRecord, p: InstancePaths): Promise<InstanceStatus> {
    return statusOf(r, p);
  }

  protected override undoRun(p: InstancePaths, r: UkRecord) {
    return undo(this.ctx(), p, r, 0);
  }

  protected override async stopRun(p: InstancePaths, r: UkRecord, graceMs: number) {
    const how = await undo(this.ctx(), p, r, graceMs);
    // A unikernel that halted by itself keeps its code; one ended by us is a workload killed by
    // SIGTERM (143) or, past the grace, SIGKILL (137), as a container's would be.
    return how === "halted" ? (await endOf(r, p)).exitCode : how === "terminated" ? 143 : 137;
  }
}
