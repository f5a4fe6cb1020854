import { maxSecrets } from "@berth/contracts";
import { z } from "zod";
import { open, seal } from "../crypto";
import { AppError } from "../errors";

// Deployment secrets live in deployment.secrets as NAME -> { sealed, updatedAt }, each value sealed
// with the tenant, the deployment and the name as additional data: a sealed value copied to another
// deployment, tenant or name does not open. They are part of the spec, so a revision keeps the
// sealed values its generation ran with and a rollback brings them back, as it does env. Only
// instanceSpec opens them, for the agent of the host an instance of the deployment is assigned to;
// everything else (DTOs, revisions, the audit log) sees names.

const storedSecrets = z.record(z.string(), z.strictObject({ sealed: z.string(), updatedAt: z.string() }));
export type StoredSecrets = z.infer<typeof storedSecrets>;
type Owner = { tenantId: string; deploymentId: string };

const aad = (o: Owner, name: string) => `deployment-secret:${o.tenantId}:${o.deploymentId}:${name}`;

/** The column, checked: a malformed one is the control plane's fault, never silently empty. */
export function parseStoredSecrets(column: unknown): StoredSecrets {
  const r = storedSecrets.safeParse(column ?? {});
  if (!r.success) throw new Error("deployment.secrets: malformed column");
  return r.data;
}

/** What the API shows of them: names and when each was set, sorted by name. */
export function secretNamesOf(column: unknown): { name: string; updatedAt: string }[] {
  return Object.entries(parseStoredSecrets(column))
    .map(([name, s]) => ({ name, updatedAt: s.updatedAt }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The secrets after a change: a value seals (and sets) its name, null removes it, names not in
 * the change keep their sealed values. Removing a name that is not there is refused, so a typo
 * does not pass for a removal.
 */
export function changeSecrets(
  key: Buffer,
  owner: Owner,
  current: StoredSecrets,
  change: Record<string, string | null>,
  now = new Date(),
): StoredSecrets {
  const next = new Map(Object.entries(current));
  for (const [name, value] of Object.entries(change)) {
    if (value !== null) {
      next.set(name, { sealed: seal(key, value, aad(owner, name)), updatedAt: now.toISOString() });
    } else if (!next.delete(name)) {
      throw new AppError("BAD_REQUEST", `secrets.${name}: this deployment has no such secret to remove`);
    }
  }
  if (next.size > maxSecrets)
    throw new AppError(
      "BAD_REQUEST",
      `secrets: must have at most ${maxSecrets} secrets (${next.size} with this change)`,
    );
  // fromEntries defines own properties, whatever the name
  return Object.fromEntries(next);
}

/** The values, opened: for the agent that launches an instance, and for nothing else. */
export function openSecrets(key: Buffer, owner: Owner, column: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parseStoredSecrets(column)).map(([name, s]) => {
      try {
        return [name, open(key, s.sealed, aad(owner, name))];
      } catch {
        // the key changed (a new BERTH_AUTH_SECRET) or the row was tampered with
        throw new Error(`secret ${name} of deployment ${owner.deploymentId} does not open`);
      }
    }),
  );
}
