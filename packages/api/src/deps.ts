import type { Db } from "@berth/db";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Auth } from "./auth";

/** What the API needs from its process; built once per process by its env-reading entry point. */
export type Deps = {
  db: Db;
  redis: Redis;
  auth: Auth;
  placementQueue: Queue;
  /** Public base URL of the dashboard, for links shown to users. */
  baseURL: string;
  /** Where agents reach Redis (handed to them at join, without credentials). */
  redisUrl: string;
  /** Prefix of every BullMQ key. */
  queuePrefix: string;
  /** Seals and opens tenants' registry passwords (derived from the auth secret). */
  credentialKey: Buffer;
  /** The platform's registry (host[:port]) whose images the deploy form suggests. */
  platformRegistry: string;
};
