import { describe, expect, it } from "vitest";
import { renderTable } from "./output";
import { formatBytes, instanceColumns } from "./render";
import type { Instance } from "./types";

const at = "2026-01-01T00:00:00.000Z";
const instance = (over: Partial<Instance>): Instance => ({
  id: "00000000-0000-4000-8000-000000000010",
  deploymentId: "00000000-0000-4000-8000-000000000001",
  hostId: "00000000-0000-4000-8000-000000000002",
  ordinal: 0,
  generation: 1,
  state: "running",
  reason: null,
  exitCode: null,
  endpoints: ["127.0.0.1:40001"],
  accelerator: null,
  metrics: null,
  createdAt: at,
  updatedAt: at,
  ...over,
});

describe("instances table", () => {
  it("shows cpu, memory and pids with their limits, and - without a sample", () => {
    const measured = instance({
      accelerator: "tcg",
      metrics: {
        cpuMs: 1200,
        cpuPercent: 12.5,
        memoryBytes: 9 * 1024 * 1024 + 512 * 1024,
        memoryLimitBytes: 64 * 1024 * 1024,
        pids: 3,
        pidsLimit: 512,
        sampledAt: at,
      },
    });
    const unlimited = instance({
      ordinal: 1,
      metrics: {
        cpuMs: 0,
        cpuPercent: null,
        memoryBytes: 2 * 1024 ** 3,
        memoryLimitBytes: null,
        pids: 1,
        pidsLimit: null,
        sampledAt: at,
      },
    });
    const lines = renderTable(
      [measured, unlimited, instance({ ordinal: 2, state: "pending" })],
      instanceColumns,
    )
      .split("\n")
      .map((l) => l.split(/\s{2,}/));
    expect(lines[1]?.[4]).toBe("tcg");
    expect(lines[0]).toEqual([
      "ORDINAL",
      "STATE",
      "HOST",
      "ENDPOINTS",
      "ACCEL",
      "CPU",
      "MEMORY",
      "PIDS",
      "REASON",
    ]);
    expect(lines[1]?.slice(5)).toEqual(["12.5%", "9.5MiB/64MiB", "3/512", "-"]);
    expect(lines[2]?.slice(5)).toEqual(["-", "2.0GiB", "1", "-"]);
    expect(lines[3]?.slice(5)).toEqual(["-", "-", "-", "-"]);
  });

  it("formats bytes in binary units", () => {
    expect([0, 1023, 1536, 64 * 1024 ** 2, 1.5 * 1024 ** 4].map(formatBytes)).toEqual([
      "0B",
      "1023B",
      "1.5KiB",
      "64MiB",
      "1.5TiB",
    ]);
  });
});
