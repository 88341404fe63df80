import cytoscape from "cytoscape";
import { describe, expect, it } from "vitest";
import { dropTarget, linkable } from "../src/dropconnect";
import {
  type Design,
  KINDS,
  type Kind,
  type Ref,
  addEndpoint,
  addHost,
  addNetwork,
  addSegment,
  connect,
  emptyDesign,
} from "../src/model";

/** One element of each kind, none connected yet. */
function parts(): [Design, Record<Kind, Ref>] {
  const d = emptyDesign();
  addHost(d);
  const refs: Record<Kind, Ref> = {
    hosts: { kind: "hosts", name: "host1" },
    nics: { kind: "nics", host: "host1", name: "eth0" },
    segments: addSegment(d),
    networks: addNetwork(d),
    containers: addEndpoint(d, "containers", "host1"),
    routers: addEndpoint(d, "routers", "host1"),
  };
  return [d, refs];
}

describe("what a drop connects", () => {
  it("offers a drop exactly for the pairs connect joins", () => {
    for (const a of KINDS) {
      for (const b of KINDS) {
        const [d, refs] = parts();
        let joined = true;
        try {
          connect(d, refs[a], refs[b]);
        } catch (err) {
          expect((err as Error).message).toMatch(/cannot connect/);
          joined = false;
        }
        expect([a, b, linkable(a, b)]).toEqual([a, b, joined]);
      }
    }
  });

  it("finds the element under the dropped one's centre that it plugs into, and nothing else", () => {
    const cy = cytoscape({
      headless: true,
      styleEnabled: true,
      layout: { name: "preset" },
      style: [{ selector: "node", style: { width: 100, height: 40 } }],
      elements: [
        { data: { id: "hosts.host1" } },
        { data: { id: "containers.c1", parent: "hosts.host1" }, position: { x: 0, y: 0 } },
        { data: { id: "nics.host1.eth0", parent: "hosts.host1" }, position: { x: 300, y: 0 } },
        { data: { id: "networks.net1" }, position: { x: 0, y: 200 } },
        { data: { id: "segments.lan1" }, position: { x: 300, y: 200 } },
      ],
    });
    expect(dropTarget(cy, "containers.c1", { x: 30, y: 210 })).toBe("networks.net1");
    expect(dropTarget(cy, "containers.c1", { x: 300, y: 200 })).toBeNull(); // a container does not plug into a wire
    expect(dropTarget(cy, "containers.c1", { x: 0, y: 100 })).toBeNull(); // beside the network: a move
    expect(dropTarget(cy, "nics.host1.eth0", { x: 290, y: 190 })).toBe("segments.lan1");
    expect(dropTarget(cy, "networks.net1", { x: 300, y: 5 })).toBe("nics.host1.eth0"); // its parent NIC
  });
});
