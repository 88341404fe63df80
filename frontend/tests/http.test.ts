import { describe, expect, it } from "vitest";
import { ApiError, explained, where } from "../src/http";

describe("where an exercise's issue is", () => {
  it("counts the goals' and locks' lines from 1 and names the path once", () => {
    expect(where({ path: "goals[1]", line: 2 })).toBe("goals line 2");
    expect(where({ path: "goals[3].ttl", line: 4 })).toBe("goals line 4, ttl");
    expect(where({ path: "locked[0]", line: 1 })).toBe("locked line 1");
    expect(where({ path: "name", line: null })).toBe("name");
  });
});

describe("a refusal in one line", () => {
  it("gives the site's words, then each issue where it is", () => {
    const issue = { severity: "error" as const, path: "goals[0]", line: 1, message: "no container d9", hint: "" };
    expect(explained(new ApiError(400, "the exercise is not valid", [issue])))
      .toBe("the exercise is not valid — goals line 1: no container d9");
    expect(explained(new ApiError(404, "no such class"))).toBe("no such class");
  });
});
