import { describe, expect, it } from "vitest";
import * as fields from "../src/fields";

describe("field formats, checked as the user types", () => {
  it("takes addresses and refuses what is not one", () => {
    expect(fields.ip("172.16.10.10")).toBe("172.16.10.10");
    expect(fields.ip("fd00::1")).toBe("fd00::1");
    expect(() => fields.ip("172.16.10.300")).toThrow("'172.16.10.300' is not an address");
    expect(() => fields.ip("host1")).toThrow(/like 172.16.10.10/);
  });
  it("takes an endpoint's address as IPAM shows it, with the network's prefix", () => {
    expect(fields.attachmentIp("172.16.100.2/24", "172.16.100.0/24")).toBe("172.16.100.2");
    expect(fields.attachmentIp("172.16.100.2", "172.16.100.0/24")).toBe("172.16.100.2");
    expect(() => fields.attachmentIp("172.16.100.2/16", "172.16.100.0/24")).toThrow(
      "the network 172.16.100.0/24 is /24; write the address alone, like 172.16.100.2",
    );
  });
  it("wants networks with their prefix and no host bits", () => {
    expect(fields.network("172.16.10.0/24")).toBe("172.16.10.0/24");
    expect(() => fields.network("172.16.10.0")).toThrow(/with its prefix length, like 172.16.10.0\/24/);
    expect(() => fields.network("172.16.10.5/24")).toThrow("the network is 172.16.10.0/24");
    expect(() => fields.network("300.1.1.0/24")).toThrow(/is not a network/);
  });
  it("wants a host's addresses with their prefix", () => {
    expect(fields.hostInterface("172.16.10.1/24")).toBe("172.16.10.1/24");
    expect(() => fields.hostInterface("172.16.10.1")).toThrow(/like 172.16.10.1\/24/);
  });
  it("reads MAC addresses in lower case", () => {
    expect(fields.mac("02:00:00:00:20:0B")).toBe("02:00:00:00:20:0b");
    expect(() => fields.mac("02:00:00:00:20")).toThrow(/not a MAC address/);
  });
  it("finds a network's first address, where its router usually sits", () => {
    expect(fields.firstHost("172.16.10.0/24")).toBe("172.16.10.1");
    expect(fields.firstHost("10.0.0.252/30")).toBe("10.0.0.253");
    expect(() => fields.firstHost("fd00::/64")).toThrow("give the router's address yourself");
  });
});
