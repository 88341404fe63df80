import { describe, expect, it } from "vitest";
import { Matrix } from "../src/matrix";
import { cellMark, cellWords, summaryText } from "../src/matrixview";
import { isLocked, lockedPaths } from "../src/locks";
import { predicted, probe } from "./wire";

const pair = (src: string, ip: string, expected: boolean) => predicted({ src, dst: "x", dst_ip: ip, expected });

describe("the matrix before and after the probes", () => {
  it("shows and sums the prediction before any probe", () => {
    const m = Matrix.fromJson({
      endpoints: [],
      pairs: [pair("a", "10.0.0.1", true), pair("a", "10.0.0.2", false), pair("b", "10.0.0.2", false)],
      reasons: [],
    });
    expect([...m.pairs.values()].map(cellMark)).toEqual(["○", "⊘", "⊘"]);
    expect(summaryText(m)).toBe("Predicted: 1 pair reachable, 2 blocked · not probed yet (deploy to check)");
    m.applyProbe(probe({ src: "a", dst: "x", dst_ip: "10.0.0.2", expected: false, observed: true, ttl: 64 }));
    expect(summaryText(m)).toBe(
      "Predicted: 1 pair reachable, 2 blocked · probed: 0 reached and 0 blocked as predicted · 1 mismatch · 2 pending",
    );
    expect(cellWords(m.get("a", "10.0.0.2")!, "same network")).toBe(
      "a → x 10.0.0.2: predicted blocked; observed: reached, TTL 64 — not as predicted. same network",
    );
  });
});

describe("what an exercise locked", () => {
  it("reads the paths from the address and locks what is in, under or around them", () => {
    const locked = lockedPaths("#design=4&locked=containers.d1%2Chosts.host3.addresses");
    expect(locked).toEqual(["containers.d1", "hosts.host3.addresses"]);
    expect(isLocked("containers.d1.ip", locked)).toBe(true);
    expect(isLocked("hosts.host3", locked)).toBe(true); // renaming host3 would move its addresses
    expect(isLocked("hosts.host3.forwarding", locked)).toBe(false);
    expect(isLocked("containers.d10", locked)).toBe(false);
    expect(lockedPaths("#design=4")).toEqual([]);
  });
});
