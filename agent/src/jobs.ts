import { type HostJob, hostQueue, type InstanceReport } from "@berth/contracts";
import { type Job, UnrecoverableError } from "bullmq";
import type { Driver, InstanceStatus } from "./driver";
import type { ControlPlane } from "./http";
import type { Log } from "./log";

export type JobContext = { driver: Driver; cp: ControlPlane; log: Log };

/** Grace for stopping an older generation that a new start replaces. */
const replaceGraceMs = 10_000;

export function toReport(s: InstanceStatus): InstanceReport {
  return {
    instanceId: s.instanceId,
    generation: s.generation,
    state: s.state,
    ...(s.reason !== undefined ? { reason: s.reason.slice(0, 1000) } : {}),
    ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
    ...(s.endpoints.length ? { endpoints: s.endpoints.slice(0, 32) } : {}),
    ...(s.accelerator ? { accelerator: s.accelerator } : {}),
  };
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 900);

/**
 * The processor of this host's queue. It throws only for a payload that can never be valid: any
 * other failure is reported (or logged) and the job completes, because a failed job would stay
 * in Redis under the instance's id and swallow the next job for that instance. Whatever is lost
 * here the control plane sees in heartbeats and its reconciler repairs.
 */
export function createProcessor(ctx: JobContext) {
  return async (job: Job): Promise<string> => {
    const parsed = hostQueue.payload.safeParse(job.data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`);
      throw new UnrecoverableError(`invalid host job ${job.id}: ${issues.join("; ")}`);
    }
    const log = ctx.log.child({ instance: parsed.data.instanceId, generation: parsed.data.generation });
    try {
      return parsed.data.kind === "start"
        ? await startInstance(ctx, parsed.data, log)
        : await stopInstance(ctx, parsed.data, log);
    } catch (err) {
      log.error(`${parsed.data.kind} job failed`, { error: errorMessage(err) });
      return "error";
    }
  };
}

async function startInstance(ctx: JobContext, job: HostJob & { kind: "start" }, log: Log): Promise<string> {
  const { driver, cp } = ctx;
  const spec = await cp.instance(job.instanceId);
  if (!spec) {
    log.info("start skipped: instance is not assigned to this host");
    return "not-assigned";
  }
  if (spec.generation !== job.generation) {
    log.info("start skipped: job is for another generation", { current: spec.generation });
    return "stale";
  }
  const base = { instanceId: spec.instanceId, generation: spec.generation };
  const existing = await driver.inspect(spec.instanceId);
  if (existing && existing.generation === spec.generation && existing.state === "running") {
    // Redelivered job: say again what is true; the report is idempotent.
    await cp.report(toReport(existing));
    return "running";
  }
  if (existing && existing.generation < spec.generation) await driver.stop(spec.instanceId, replaceGraceMs);
  try {
    await driver.prepare(spec);
  } catch (err) {
    await cp.report({ ...base, state: "failed", reason: `prepare: ${errorMessage(err)}` });
    return "failed";
  }
  const decision = await cp.report({ ...base, state: "starting" });
  if (decision === "stale" || decision === "invalid") {
    log.info("start skipped: the control plane refused `starting`", { decision });
    return decision;
  }
  let status: InstanceStatus;
  try {
    status = await driver.start(spec);
  } catch (err) {
    await cp.report({ ...base, state: "failed", reason: `start: ${errorMessage(err)}` });
    return "failed";
  }
  const after = await cp.report(toReport({ ...status, generation: spec.generation }));
  if ((after === "stale" || after === "invalid") && status.state === "running") {
    // Stopped or replaced while it was starting: nobody wants it any more.
    log.info("instance unwanted once running: stopping it", { decision: after });
    const stopped = await driver.stop(spec.instanceId, replaceGraceMs);
    await cp.report(toReport({ ...stopped, generation: spec.generation }));
    return "unwanted";
  }
  log.debug("instance started", { state: status.state });
  return status.state;
}

async function stopInstance(ctx: JobContext, job: HostJob & { kind: "stop" }, log: Log): Promise<string> {
  const existing = await ctx.driver.inspect(job.instanceId);
  if (existing && existing.generation > job.generation) {
    log.info("stop skipped: a newer generation runs", { running: existing.generation });
    return "stale";
  }
  await stopAndReport(ctx, job.instanceId, job.generation, job.graceMs);
  return "stopped";
}

/** Used by stop jobs and heartbeat stop lists: both end with the same two reports. */
export async function stopAndReport(
  ctx: JobContext,
  instanceId: string,
  generation: number,
  graceMs: number,
) {
  await ctx.cp.report({ instanceId, generation, state: "stopping" });
  const status = await ctx.driver.stop(instanceId, graceMs);
  await ctx.cp.report(toReport({ ...status, generation }));
}
