import { describe, expect, it } from "vitest";
import { where } from "../src/class/http";

describe("where an exercise's issue is", () => {
  it("counts the goals' and locks' lines from 1 and names the path once", () => {
    expect(where({ path: "goals[1]", line: 2, message: "cannot read" })).toBe("goals line 2");
    expect(where({ path: "goals[3].ttl", line: 4, message: "too small" })).toBe("goals line 4, ttl");
    expect(where({ path: "locked[0]", line: 1, message: "nothing there" })).toBe("locked line 1");
    expect(where({ path: "name", message: "taken" })).toBe("name");
  });
});
