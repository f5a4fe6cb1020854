import { describe, expect, it } from "vitest";
import { formatIp, freeAddress, gatewayOf, parseCidr, parseIp, tenantSubnet } from "./alloc";

describe("address allocation", () => {
  it("splits the pool into tenant subnets with the gateway first", () => {
    const pool = parseCidr("10.88.0.0/16");
    const s = tenantSubnet(pool, 24, 3);
    expect(formatIp(s.base)).toBe("10.88.3.0");
    expect(formatIp(gatewayOf(s))).toBe("10.88.3.1");
    expect(() => tenantSubnet(pool, 24, 256)).toThrow(/out of range/);
  });

  it("hands out the lowest free host address and never the broadcast", () => {
    const s = parseCidr("10.1.2.0/30");
    expect(formatIp(freeAddress(s, new Set()) ?? 0)).toBe("10.1.2.2");
    expect(freeAddress(s, new Set([parseIp("10.1.2.2")]))).toBeNull();
  });

  it("rejects malformed pools", () => {
    expect(() => parseCidr("10.88.0.1/16")).toThrow(/host bits/);
    expect(() => parseCidr("10.88.0.0")).toThrow(/CIDR/);
    expect(() => parseIp("10.300.0.1")).toThrow(/IPv4/);
  });
});
