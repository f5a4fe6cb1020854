import type { DeploymentEventDto } from "@berth/contracts";
import { notFound } from "../errors";
import type { ScopedDb } from "../scope";

type Data = Record<string, unknown>;

/** A sentence per audited change, from the fields its service records. */
function describe(action: string, data: Data, actorType: string): string {
  const auto = actorType === "system";
  switch (action) {
    case "deployment.create":
      return "Created";
    case "deployment.update": {
      const change = Object.keys((data.change ?? {}) as Data).join(", ");
      return `Updated ${change || "its spec"}: generation ${data.generation}`;
    }
    case "deployment.rollback":
      return `${auto ? "Rolled back automatically" : "Rolled back"} to generation ${data.to}: generation ${data.generation}`;
    case "deployment.scale":
      return `Scaled to ${data.replicas}`;
    case "deployment.restart":
      return `Restarted: generation ${data.generation}`;
    case "deployment.stop":
      return "Stopped";
    case "deployment.start":
      return "Started";
    case "deployment.delete":
      return "Deleted";
    default:
      return action;
  }
}

/**
 * The deployment's timeline, newest first: its audit entries and its instances' lifecycle. Instance
 * rows keep when they were created, started and stopped, not every transition, so an instance
 * contributes up to three events; that is enough to watch a rollout or a crash loop.
 */
export async function listDeploymentEvents(opts: {
  scope: ScopedDb;
  deploymentId: string;
  limit: number;
}): Promise<DeploymentEventDto[]> {
  const d = await opts.scope.deployment.findFirst({ where: { id: opts.deploymentId }, select: { id: true } });
  if (!d) throw notFound("deployment");
  const [audit, instances] = await Promise.all([
    opts.scope.auditLog.findMany({
      where: { target: d.id },
      orderBy: { id: "desc" },
      take: opts.limit,
    }),
    opts.scope.instance.findMany({
      where: { deploymentId: d.id },
      orderBy: { createdAt: "desc" },
      take: opts.limit,
    }),
  ]);
  const events: DeploymentEventDto[] = audit.map((a) => {
    const data = (a.data ?? {}) as Data;
    return {
      at: a.createdAt.toISOString(),
      kind: "change",
      action: a.action,
      summary: describe(a.action, data, a.actorType),
      actorType: a.actorType,
      actorId: a.actorId,
      instanceId: null,
      generation: typeof data.generation === "number" ? data.generation : null,
    };
  });
  for (const i of instances) {
    const base = {
      kind: "instance" as const,
      actorType: null,
      actorId: null,
      instanceId: i.id,
      generation: i.generation,
    };
    const who = `Instance ${i.ordinal} (generation ${i.generation})`;
    events.push({
      ...base,
      at: i.createdAt.toISOString(),
      action: "instance.created",
      summary: `${who} created`,
    });
    if (i.startedAt)
      events.push({
        ...base,
        at: i.startedAt.toISOString(),
        action: "instance.started",
        summary: `${who} started`,
      });
    const ended = ["stopped", "exited", "failed", "lost"].includes(i.state);
    if (ended) {
      const why = [i.exitCode !== null ? `exit code ${i.exitCode}` : null, i.reason]
        .filter(Boolean)
        .join(", ");
      events.push({
        ...base,
        at: (i.stoppedAt ?? i.updatedAt).toISOString(),
        action: `instance.${i.state}`,
        summary: `${who} ${i.state}${why ? `: ${why}` : ""}`,
      });
    }
  }
  return events.sort((a, b) => b.at.localeCompare(a.at)).slice(0, opts.limit);
}
