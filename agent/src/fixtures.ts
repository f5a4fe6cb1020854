// Test support: an instance spec as the control plane sends it, a small busybox container unless
// the test says otherwise.
import { randomUUID } from "node:crypto";
import type { InstanceSpecDto } from "@berth/contracts";

export function specFixture(over: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return {
    instanceId: randomUUID(),
    generation: 1,
    tenantId: randomUUID(),
    deploymentId: randomUUID(),
    name: "web",
    image: "busybox",
    command: [],
    args: [],
    env: {},
    ports: [],
    cpuMillis: 100,
    memoryMiB: 64,
    isolation: "container",
    volumes: [],
    ...over,
  };
}
