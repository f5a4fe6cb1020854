// Concurrent schedulers must never over-commit a host, never place an instance twice, and keep
// the capacity ledger equal to the sum of the reservations of the instances on each host.
import { createHarness, type Harness, makeTenant, signUp } from "@berth/api/testing";
import { createDb, type Db } from "@berth/db";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { placeDeployment } from "./place";

let h: Harness;
let tenantId: string;
const schedulers: Db[] = [];

beforeAll(async () => {
  h = await createHarness();
  const owner = await signUp(h, "Owner");
  tenantId = (await makeTenant(h, owner, "sched")).id;
  // four schedulers, each with its own connection pool, as four worker processes would have
  for (let i = 0; i < 4; i++) schedulers.push(createDb(h.database.url, { max: 3 }));
});
afterAll(async () => {
  await Promise.all(schedulers.map((d) => d.$disconnect()));
  await h?.close();
});

const hostArb = fc.record({
  cpuMillis: fc.integer({ min: 500, max: 4000 }),
  memoryMiB: fc.integer({ min: 256, max: 4096 }),
  maxInstances: fc.integer({ min: 1, max: 12 }),
  cordoned: fc.boolean(),
});
const deploymentArb = fc.record({
  cpuMillis: fc.integer({ min: 50, max: 1500 }),
  memoryMiB: fc.integer({ min: 16, max: 1024 }),
  replicas: fc.integer({ min: 1, max: 8 }),
});

it("never over-commits with 4 concurrent schedulers", async () => {
  const db = h.deps.db;
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostArb, { minLength: 1, maxLength: 6 }),
      fc.array(deploymentArb, { minLength: 1, maxLength: 8 }),
      async (hostSpecs, deploymentSpecs) => {
        await db.deployment.deleteMany({});
        await db.host.deleteMany({});
        for (const [i, s] of hostSpecs.entries()) {
          await db.host.create({
            data: {
              name: `h${i}`,
              address: "127.0.0.1",
              isolationLevels: ["container"],
              status: "ready",
              ...s,
            },
          });
        }
        const ids: string[] = [];
        for (const [i, s] of deploymentSpecs.entries()) {
          const d = await db.deployment.create({
            data: {
              tenantId,
              name: `d${i}`,
              image: "busybox",
              isolation: "container",
              ...s,
              instances: {
                create: Array.from({ length: s.replicas }, (_, ordinal) => ({
                  tenantId,
                  ordinal,
                  generation: 1,
                })),
              },
            },
          });
          ids.push(d.id);
        }
        // every scheduler tries every deployment, in its own order
        await Promise.all(
          schedulers.map((s, k) =>
            Promise.all(
              [...ids]
                .reverse()
                .slice(k)
                .concat(ids.slice(0, k))
                .map((id) => placeDeployment(s, id)),
            ),
          ),
        );
        const hosts = await db.host.findMany({ include: { instances: true } });
        for (const host of hosts) {
          expect(host.reservedCpuMillis).toBeLessThanOrEqual(host.cpuMillis);
          expect(host.reservedMemoryMiB).toBeLessThanOrEqual(host.memoryMiB);
          expect(host.reservedInstances).toBeLessThanOrEqual(host.maxInstances);
          expect(host.reservedCpuMillis).toBe(host.instances.reduce((a, i) => a + i.reservedCpuMillis, 0));
          expect(host.reservedMemoryMiB).toBe(host.instances.reduce((a, i) => a + i.reservedMemoryMiB, 0));
          expect(host.reservedInstances).toBe(host.instances.length);
          if (host.cordoned) expect(host.instances).toEqual([]);
        }
        const instances = await db.instance.findMany({});
        for (const i of instances) {
          if (i.state === "scheduled") expect(i.hostId).not.toBeNull();
          else
            expect([i.state, i.hostId, i.reason?.startsWith("no host can run this")]).toEqual([
              "pending",
              null,
              true,
            ]);
        }
      },
    ),
    { numRuns: 40 },
  );
}, 180_000);
