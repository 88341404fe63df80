import cytoscape from "cytoscape";
import { describe, expect, it } from "vitest";
import { nodeSize } from "../src/layout";
import { freeSpot } from "../src/placing";

describe("where a new element goes in its host", () => {
  const cy = cytoscape({
    headless: true,
    styleEnabled: true,
    layout: { name: "preset" },
    style: [{ selector: "node", style: { width: 60, height: 20 } }],
    elements: [
      { data: { id: "hosts.host1" } },
      { data: { id: "nics.host1.eth0", parent: "hosts.host1" }, position: { x: 100, y: 100 } },
    ],
  });
  const h = nodeSize("container", "new1").h;

  it("is where the user clicked when that is free", () => {
    expect(freeSpot(cy, "host1", "container", { x: 100, y: 200 })).toEqual({ x: 100, y: 200 });
    expect(freeSpot(cy, "host1", "container", { x: 300, y: 100 })).toEqual({ x: 300, y: 100 });
  });

  it("is just below the host's elements when the click lands on one of them", () => {
    const spot = freeSpot(cy, "host1", "container", { x: 110, y: 104 });
    expect(spot.x).toBe(110);
    expect(spot.y - h / 2).toBeGreaterThan(110); // clear of the NIC, whose box ends at y 110 (+ border)
    expect(spot.y - h / 2).toBeLessThan(140); // and not far below it
  });
});
