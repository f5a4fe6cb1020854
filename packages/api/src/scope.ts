import type { Db } from "@berth/db";

// Every model that belongs to a tenant carries tenantId; this list is checked by a test against
// the Prisma schema so that a new tenant-owned model cannot be forgotten.
export const tenantOwnedModels = [
  "Membership",
  "Invitation",
  "ApiToken",
  "Deployment",
  "DeploymentRevision",
  "Instance",
  "AuditLog",
  "Volume",
  "RegistryCredential",
] as const;

const whereOps = new Set([
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "findUnique",
  "findUniqueOrThrow",
  "count",
  "aggregate",
  "groupBy",
  "update",
  "updateMany",
  "delete",
  "deleteMany",
  "upsert",
]);

/**
 * The one way to reach tenant-owned rows: a client whose every query on those models is confined
 * to one tenant. Reads, updates and deletes get `tenantId` added to their filter (a row of
 * another tenant is simply not found); creates get it forced into their data.
 */
export function scopedDb(db: Db, tenantId: string) {
  const owned = new Set<string>(tenantOwnedModels);
  return db.$extends({
    name: "tenant-scope",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          if (!owned.has(model)) return query(args);
          // biome-ignore lint/suspicious/noExplicitAny: the args shape varies by operation
          const a = (args ?? {}) as any;
          if (whereOps.has(operation)) a.where = { ...a.where, tenantId };
          if (operation === "create" || operation === "upsert") {
            const key = operation === "create" ? "data" : "create";
            a[key] = { ...a[key], tenantId };
          }
          if (operation === "createMany" || operation === "createManyAndReturn") {
            const rows = Array.isArray(a.data) ? a.data : [a.data];
            a.data = rows.map((r: object) => ({ ...r, tenantId }));
          }
          return query(a);
        },
      },
    },
  });
}

export type ScopedDb = ReturnType<typeof scopedDb>;
