import { describe, expect, it } from "vitest";
import { parsePairs, parseRoutes, parseVlans } from "../src/panel";

describe("text fields of the properties panel", () => {
  it("reads 'name value' lines, with a space or '='", () => {
    expect(parsePairs("enp0s8.100 172.16.10.1/24\n\n  r=172.16.10.1 ", "addresses")).toEqual({
      "enp0s8.100": "172.16.10.1/24",
      r: "172.16.10.1",
    });
  });
  it("says which line it cannot read", () => {
    expect(() => parsePairs("ok 1.2.3.4\njust-a-name", "aux_addresses")).toThrow(
      'aux_addresses, line 2: write "name value", got "just-a-name"',
    );
  });
  it("reads routes with or without 'via'", () => {
    expect(parseRoutes("172.16.30.0/24 via 172.16.10.1\ndefault 172.16.10.254")).toEqual([
      { to: "172.16.30.0/24", via: "172.16.10.1" },
      { to: "default", via: "172.16.10.254" },
    ]);
    expect(() => parseRoutes("via")).toThrow(/routes, line 1/);
  });
  it("reads VLAN lists and refuses what is not a number", () => {
    expect(parseVlans("100, 200 300")).toEqual([100, 200, 300]);
    expect(parseVlans("")).toEqual([]);
    expect(() => parseVlans("100, ten")).toThrow("vlans: 'ten' is not a VLAN id (1-4094)");
  });
});
