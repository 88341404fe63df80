import { describe, expect, it } from "vitest";
import { lineDiff } from "../src/versions";

const text = (d: { op: string; text: string }[]) => d.map((l) => `${l.op}${l.text}`);

describe("lineDiff", () => {
  it("keeps common lines and marks only what changed", () => {
    const a = ["name: lab", "hosts:", "  h1: {nics: [eth0]}", "containers:", "  d1: {host: h1}"];
    const b = ["name: lab", "hosts:", "  h1: {nics: [eth0]}", "containers:", "  web1: {host: h1}", "  d2: {host: h1}"];
    expect(text(lineDiff(a, b))).toEqual([
      " name: lab",
      " hosts:",
      "   h1: {nics: [eth0]}",
      " containers:",
      "-  d1: {host: h1}",
      "+  web1: {host: h1}",
      "+  d2: {host: h1}",
    ]);
  });

  it("gives back each side from its kept and own lines", () => {
    const a = ["a", "b", "c", "a", "b", "b", "a"];
    const b = ["c", "b", "a", "b", "a", "c"];
    const diff = lineDiff(a, b);
    expect(diff.filter((d) => d.op !== "+").map((d) => d.text)).toEqual(a);
    expect(diff.filter((d) => d.op !== "-").map((d) => d.text)).toEqual(b);
    expect(diff.filter((d) => d.op === " ")).toHaveLength(4); // the longest common subsequence
  });

  it("is empty-handed for equal or empty texts", () => {
    expect(lineDiff([], [])).toEqual([]);
    expect(lineDiff(["x"], ["x"])).toEqual([{ op: " ", text: "x" }]);
  });
});
