import { describe, expect, it } from "vitest";
import { Board, type Goals, progressText } from "../src/class/board";

const goals = (passed: number, total: number): Goals => ({
  passed,
  failed: 0,
  pending: total - passed,
  total,
  items: Array.from({ length: total }, (_, i) => ({
    goal: `g${i}`,
    status: i < passed ? "passed" : "pending",
    message: `g${i}: ${i < passed ? "passed" : "waiting"}`,
  })),
});

const row = (attempt: number, student: string) => ({
  attempt,
  exercise: 1,
  exercise_title: "Route",
  student,
  design: 10 + attempt,
  deployment: null,
  goals: goals(0, 2),
});

describe("class board", () => {
  it("starts from the snapshot, adds joiners and keeps rows in student order", () => {
    const board = new Board();
    expect(board.apply({ kind: "board", role: "instructor", rows: [row(2, "zoe")] })).toBeNull();
    expect(board.apply({ kind: "attempt", row: row(1, "ann") })).toBe(1);
    expect(board.sorted().map((r) => r.student)).toEqual(["ann", "zoe"]);
  });

  it("follows deploy states and goal progress, and a new deployment makes old results pending", () => {
    const board = new Board();
    board.apply({ kind: "board", role: "student", rows: [row(1, "ann")] });
    board.apply({ kind: "deploy", attempt: 1, deployment: "aaa", state: "deploying", detail: "" });
    board.apply({ kind: "goals", attempt: 1, deployment: "aaa", goals: goals(2, 2) });
    expect(progressText(board.rows.get(1)!.goals)).toBe("2/2");
    board.apply({ kind: "deploy", attempt: 1, deployment: "bbb", state: "pending", detail: "" });
    const after = board.rows.get(1)!;
    expect(after.deployment).toEqual({ id: "bbb", state: "pending", detail: "" });
    expect(after.goals.items.map((i) => i.status)).toEqual(["pending", "pending"]);
    expect(progressText(after.goals)).toBe("0/2");
  });
});
