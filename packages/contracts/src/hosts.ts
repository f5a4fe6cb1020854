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
  status: z.enum(["pending", "ready", "down", "removed"]),
  cordoned: z.boolean(),
  lastHeartbeatAt: isoDate.nullable(),
  draining: z.boolean(),
  reserved: z.object({ cpuMillis: z.number(), memoryMiB: z.number(), instances: z.number() }),
  instanceCount: z.number(),
});

export const hostRef = z.strictObject({ hostId: uuid });

export const cordonInput = hostRef.extend({ cordoned: z.boolean().default(true) }).strict();
