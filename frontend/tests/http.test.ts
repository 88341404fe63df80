import { describe, expect, it } from "vitest";
import { ApiError, explained, refusal, where } from "../src/http";

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
    expect(explained(new ApiError(400, "the exercise is not valid", [issue]))).toBe(
      "the exercise is not valid — goals line 1: no container d9",
    );
    expect(explained(new ApiError(404, "no such class"))).toBe("no such class");
  });
});

describe("a refused request's words", () => {
  const answer = (status: number, statusText: string) => new Response(null, { status, statusText });

  it("are the site's detail, with the issues it gave", () => {
    const issue = { severity: "error", path: "name", line: null, message: "taken", hint: "" };
    const err = refusal(answer(400, "Bad Request"), { detail: "the design is not valid", errors: [issue] });
    expect([err.status, err.message, err.issues]).toEqual([400, "the design is not valid", [issue]]);
  });

  it("are the status text for an HTML error page or an empty answer, else the text itself", () => {
    expect(refusal(answer(502, "Bad Gateway"), "<!DOCTYPE html><h1>502</h1>").message).toBe("Bad Gateway");
    expect(refusal(answer(500, "Internal Server Error"), "").message).toBe("Internal Server Error");
    expect(refusal(answer(409, "Conflict"), "the host is busy").message).toBe("the host is busy");
  });
});
