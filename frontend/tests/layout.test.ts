import { describe, expect, it } from "vitest";
import { elements } from "../src/graph";
import { HOST_GAP, aimAt, detour, hostMinWidth, nodeSize, segmentStyle, textSize } from "../src/layout";
import { twoVlans } from "./fixtures";

type Box = { id: string; x1: number; x2: number; y1: number; y2: number };

/** The boxes of the placed nodes that are not host boxes, from the drawing's own sizes. */
function boxes(alloc = {}): Box[] {
  const d = twoVlans();
  d.layout = {}; // the automatic places only
  return elements(d, alloc).flatMap((e) =>
    e.group === "nodes" && e.position && e.data.w !== undefined && e.data.h !== undefined
      ? [
          {
            id: e.data.id,
            x1: e.position.x - e.data.w / 2,
            x2: e.position.x + e.data.w / 2,
            y1: e.position.y - e.data.h / 2,
            y2: e.position.y + e.data.h / 2,
          },
        ]
      : [],
  );
}

function overlaps(list: Box[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i], list[j]];
      if (Math.min(a.x2, b.x2) > Math.max(a.x1, b.x1) && Math.min(a.y2, b.y2) > Math.max(a.y1, b.y1))
        out.push(`${a.id} ${b.id}`);
    }
  return out;
}

describe("automatic layout", () => {
  it("sizes a label by its longest line and its number of lines", () => {
    expect(textSize("c4\n172.16.200.3/24 (ipam)", 10).w).toBeGreaterThan(textSize("c4\n172.16.200.3", 10).w);
    expect(textSize("a\nb\nc", 10).h).toBe(3 * textSize("a", 10).h);
    // a node is at least its label plus a margin, never smaller than its kind's least size
    expect(nodeSize("container", "c1").w).toBe(46);
    expect(nodeSize("container", "c4\n172.16.200.3/24 (ipam)").w).toBeGreaterThan(
      textSize("172.16.200.3/24 (ipam)", 10).w,
    );
    expect(hostMinWidth(100, [40, 40])).toBeGreaterThan(100 + 80);
  });

  it("puts no node on another, IPAM's longer labels included", () => {
    expect(overlaps(boxes())).toEqual([]);
    const alloc = { d3: { mac10: { ip: "172.16.10.2/24" } }, d2: { mac20: { ip: "172.16.20.222/24" } } };
    expect(overlaps(boxes(alloc))).toEqual([]);
  });

  it("layers segments above the hosts and networks below, and turns lines between them", () => {
    const d = twoVlans();
    d.layout = {};
    const defs = elements(d);
    const at = (id: string) => defs.find((e) => e.data.id === id)!;
    const y = (id: string) => (at(id) as { position: { y: number } }).position.y;
    expect(y("segments.lan")).toBeLessThan(y("nics.host1.enp0s8"));
    expect(y("networks.mac10")).toBeGreaterThan(y("containers.d1"));
    // d3's line to mac10 (no host below host2) turns below d3's host and above mac10
    const turn = (at("attach:containers.d3|networks.mac10").data as { turn: number }).turn;
    expect(turn).toBeGreaterThan(40);
    expect(turn).toBeLessThan(y("networks.mac10") - y("containers.d3") - 28);
    // d1's line has host3 below it: it is led around it (bends) instead
    expect(at("attach:containers.d1|networks.mac10").data).toHaveProperty("weights");
  });
});

describe("the shape the layout aims at", () => {
  const hostRows = (view: { w: number; h: number }) => {
    aimAt(view);
    const d = twoVlans();
    d.layout = {};
    const ys = elements(d).flatMap((e) =>
      e.group === "nodes" && e.data.kind === "nic" && e.position ? [e.position.y] : [],
    );
    aimAt({ w: 700, h: 640 }); // the editor's, for the other tests
    return new Set(ys).size;
  };

  it("puts the hosts side by side in a wide, short view and one under another in a tall one", () => {
    expect(hostRows({ w: 1400, h: 300 })).toBe(1);
    expect(hostRows({ w: 300, h: 1400 })).toBe(3);
  });

  it("ignores a view too small to show anything (a hidden frame)", () => {
    aimAt({ w: 1400, h: 300 });
    expect(hostRows({ w: 0, h: 0 })).toBe(1);
  });
});

describe("lines around host boxes", () => {
  const upper = { x1: 0, x2: 200, y1: -50, y2: 40 };
  const lower = { x1: 0, x2: 200, y1: 150, y2: 240 };
  const beside = { x1: 270, x2: 470, y1: 150, y2: 240 };

  it("leaves a line that meets no other host straight", () => {
    expect(detour({ x: 100, y: 0 }, lower, { x: 300, y: 400 }, 330, [upper, lower, beside])).toBeNull();
  });

  it("leads a line from an upper host down the nearest gap between the hosts below", () => {
    const bends = detour({ x: 150, y: 0 }, upper, { x: 300, y: 400 }, 330, [upper, lower, beside])!;
    const lane = 200 + HOST_GAP / 2; // right of the upper host, between the two lower ones
    expect(bends).toEqual([
      { x: 150, y: 55 },
      { x: lane, y: 55 },
      { x: lane, y: 330 },
      { x: 300, y: 330 },
    ]);
    // and up to a segment above in the same way
    const up = detour({ x: 150, y: 200 }, lower, { x: 100, y: -200 }, -150, [upper, lower, beside])!;
    expect([-HOST_GAP / 2, lane]).toContain(up[1].x);
    expect(up.at(-1)).toEqual({ x: 100, y: -150 });
  });

  it("says bends as weights along the line and distances across it", () => {
    const s = { x: 0, y: 0 };
    const t = { x: 100, y: 0 };
    expect(
      segmentStyle(s, t, [
        { x: 50, y: 20 },
        { x: 100, y: -10 },
      ]),
    ).toEqual({ weights: "0.5 1", distances: "20 -10" });
  });
});
