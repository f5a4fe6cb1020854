import { z } from "zod";
import { isoDate, isolationLevel, uuid } from "./common";

export const hostDto = z.object({
  id: uuid,
  name: z.string(),
  address: z.string(),
  labels: z.record(z.string(), z.string()),
  capacity: z.object({ cpuMillis: z.number(), memoryMiB: z.number(), maxInstances: z.number() }),
  isolationLevels: z.array(isolationLevel),
  accelerator: z.string().nullable(),
  guestKernel: z.string().nullable(),
  status: z.enum(["pending", "ready", "down", "removed"]),
  cordoned: z.boolean(),
  lastHeartbeatAt: isoDate.nullable(),
  draining: z.boolean(),
  reserved: z.object({ cpuMillis: z.number(), memoryMiB: z.number(), instances: z.number() }),
  /** Instances on the host that hold or may still hold it: scheduled, starting, running, stopping. */
  instanceCount: z.number(),
  /** While draining: how many instances have left since the drain began, and how many remain. */
  drain: z.object({ since: isoDate, moved: z.number(), remaining: z.number() }).nullable(),
});

export const hostRef = z.strictObject({ hostId: uuid });

export const cordonInput = hostRef.extend({ cordoned: z.boolean().default(true) }).strict();
