import { describe, expect, it } from "vitest";
import { type Issue, issueTarget, issuesByElement } from "../src/issues";
import { twoVlans } from "./fixtures";

describe("issue path → element", () => {
  const d = twoVlans();
  it.each([
    ["containers.d1.networks.mac10.ip", "containers.d1"],
    ["networks.mac10.gateway", "networks.mac10"],
    ["hosts.host3.addresses.enp0s8.100", "hosts.host3"],
    ["hosts.host1.nics.0", "nics.host1.enp0s8"],
    ["hosts.host1.nics[0]", "nics.host1.enp0s8"],
    ["segments.lan.ports.2", "segments.lan"],
    ["hosts.host1", "hosts.host1"],
  ])("%s → %s", (path, id) => {
    expect(issueTarget(path, d)).toBe(id);
  });
  it.each(["name", "apiVersion", "containers.nobody.host", "layout.x", ""])("%s names no element", (path) => {
    expect(issueTarget(path, d)).toBeNull();
  });
  it("groups issues by element", () => {
    const issue = (path: string): Issue => ({ severity: "error", path, line: 1, message: "m", hint: "" });
    const byId = issuesByElement([issue("containers.d1.host"), issue("name"), issue("containers.d1.networks")], d);
    expect(byId.get("containers.d1")).toHaveLength(2);
    expect(byId.get("")).toHaveLength(1);
  });
});
