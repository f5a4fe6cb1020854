import { describe, expect, it } from "vitest";
import {
  explainUnplaceable,
  type HostView,
  type PlacementRequest,
  rankHosts,
  rejectReason,
  reservationFor,
} from "./placement";

const host = (id: string, over: Partial<HostView> = {}): HostView => ({
  id,
  status: "ready",
  cordoned: false,
  isolationLevels: ["container", "microvm"],
  labels: {},
  cpuMillis: 4000,
  memoryMiB: 4096,
  maxInstances: 10,
  reservedCpuMillis: 0,
  reservedMemoryMiB: 0,
  reservedInstances: 0,
  ...over,
});
const req = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({
  tenantId: "t1",
  level: "container",
  cpuMillis: 500,
  memoryMiB: 512,
  hostSelector: {},
  dedicatedHosts: false,
  strategy: "binpack",
  siblingsOnHost: new Map(),
  ...over,
});

describe("placement filters", () => {
  it("keeps real workloads off sim hosts, which launch nothing", () => {
    const sim = host("s", { labels: { sim: "true" } });
    expect(rejectReason(sim, req())).toMatch(/sim host/);
    expect(rejectReason(sim, req({ hostSelector: { sim: "true" } }))).toBeNull();
    expect(rankHosts([sim, host("real")], req()).map((h) => h.id)).toEqual(["real"]);
  });
  it("counts the level's overhead in the reservation", () => {
    expect(reservationFor({ level: "microvm", cpuMillis: 100, memoryMiB: 128 })).toEqual({
      cpuMillis: 150,
      memoryMiB: 200,
    });
    // a micro-VM's guest has a floor: asking for less still takes what the VM really holds
    expect(reservationFor({ level: "microvm", cpuMillis: 100, memoryMiB: 32 }).memoryMiB).toBe(96 + 72);
    expect(reservationFor({ level: "container", cpuMillis: 100, memoryMiB: 32 }).memoryMiB).toBe(32 + 8);
  });
  it("names why a host cannot take an instance", () => {
    expect(rejectReason(host("a", { status: "down" }), req())).toBe("host is down");
    expect(rejectReason(host("a", { cordoned: true }), req())).toBe("host is cordoned");
    expect(rejectReason(host("a"), req({ level: "unikernel" }))).toBe("host does not offer unikernel");
    expect(rejectReason(host("a"), req({ hostSelector: { zone: "b" } }))).toBe("host lacks label zone=b");
    expect(rejectReason(host("a", { reservedMemoryMiB: 3600 }), req())).toBe("not enough memory");
    expect(rejectReason(host("a", { reservedInstances: 10 }), req())).toBe("host is at its instance limit");
    expect(
      rejectReason(host("a", { labels: { zone: "b" } }), req({ hostSelector: { zone: "b" } })),
    ).toBeNull();
  });
  it("keeps dedicated hosts to their tenant, and dedicated tenants to theirs", () => {
    expect(rejectReason(host("a", { labels: { tenant: "t2" } }), req())).toBe(
      "host is dedicated to another tenant",
    );
    expect(rejectReason(host("a"), req({ dedicatedHosts: true }))).toBe("tenant needs a dedicated host");
    expect(rejectReason(host("a", { labels: { tenant: "t1" } }), req({ dedicatedHosts: true }))).toBeNull();
  });
});

describe("placement scores", () => {
  const full = host("full", { reservedCpuMillis: 3000, reservedMemoryMiB: 3000 });
  const empty = host("empty");
  it("bin-packs onto the fullest host by default, spreads onto the emptiest on request", () => {
    expect(rankHosts([empty, full], req()).map((h) => h.id)).toEqual(["full", "empty"]);
    expect(rankHosts([full, empty], req({ strategy: "spread" })).map((h) => h.id)).toEqual(["empty", "full"]);
  });
  it("puts anti-affinity first: a host without a sibling wins over a fuller one", () => {
    const r = req({ siblingsOnHost: new Map([["full", 1]]) });
    expect(rankHosts([full, empty], r).map((h) => h.id)).toEqual(["empty", "full"]);
  });
  it("explains an instance that fits nowhere", () => {
    expect(explainUnplaceable([], req())).toBe(
      "no host can run this yet: no ready host offers the container level",
    );
    expect(explainUnplaceable([host("a", { cordoned: true }), host("b", { cordoned: true })], req())).toMatch(
      /2 host\(s\) considered; most common reason: host is cordoned$/,
    );
  });
});
