import { describe, expect, it } from "vitest";
import { isBlank, sendable } from "../src/drafts";
import { addEndpoint, addHost, addNetwork, addSegment, emptyDesign, setField } from "../src/model";
import { twoVlans } from "./fixtures";

describe("validating a design being drawn", () => {
  it("sends a complete design as it is", () => {
    const d = twoVlans();
    expect(sendable(d)).toEqual({ design: d, issues: [] });
  });
  it("sends nothing for a blank design, and says nothing is wrong with it", () => {
    const d = emptyDesign();
    expect(isBlank(d)).toBe(true);
    expect(sendable(d)).toEqual({ design: null, issues: [] });
  });
  it("leaves out what is incomplete and says what each one needs", () => {
    const d = emptyDesign();
    addHost(d);
    addSegment(d);
    addNetwork(d);
    addEndpoint(d, "containers", "host1");
    addEndpoint(d, "routers", "host1");
    setField(d, { kind: "hosts", name: "host1" }, ["shim"], { network: "net1", ip: "" });
    const { design, issues } = sendable(d);
    expect(Object.keys(design!.containers)).toEqual([]);
    expect(Object.keys(design!.routers)).toEqual([]);
    expect(design!.segments).toEqual({});
    expect(design!.hosts.host1.shim).toBeUndefined();
    expect(Object.keys(design!.networks)).toEqual(["net1"]);
    expect(issues.map((i) => i.path)).toEqual([
      "hosts.host1.shim.ip",
      "segments.lan1.ports",
      "containers.c1.networks",
      "routers.r1.networks",
    ]);
    expect(issues.every((i) => i.severity === "error" && i.hint)).toBe(true);
    expect(d.containers.c1).toBeDefined(); // the design itself is untouched
  });
});
