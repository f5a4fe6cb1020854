import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Redis ACL user per host: it can touch only its own queue's keys and its own log streams.
 * Commands are everything but the dangerous and admin groups (no FLUSHALL, KEYS, CONFIG, ACL…),
 * plus the few introspection calls BullMQ makes when it connects.
 */
export async function createHostRedisUser(redis: Redis, opts: { hostId: string; prefix: string }) {
  const username = `berth-host-${opts.hostId}`;
  const password = randomBytes(24).toString("hex");
  await redis.call(
    "ACL",
    "SETUSER",
    username,
    "reset",
    "on",
    `>${password}`,
    `~${opts.prefix}:host-${opts.hostId}:*`,
    `~${opts.prefix}:logs:${opts.hostId}:*`,
    "resetchannels",
    "+@all",
    "-@dangerous",
    "-@admin",
    "+info",
    "+client|setname",
    "+client|getname",
    "+client|id",
    "-select",
    "-scan",
  );
  return { username, password };
}

export async function deleteHostRedisUser(redis: Redis, hostId: string): Promise<void> {
  await redis.call("ACL", "DELUSER", `berth-host-${hostId}`);
}
