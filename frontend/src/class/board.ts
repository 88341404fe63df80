/** The class board as the class websocket describes it: one row per attempt, kept up to date. */
import type { components } from "../api/schema";

/** The websocket's shapes, generated from the site's OpenAPI document (classroom/messages.py). */
type Wire = components["schemas"];

export type GoalItem = Wire["GoalItem"];
export type Goals = Wire["GoalProgress"];
/** One websocket message: the whole board, a row, a deploy state, goal progress. */
export type Message = Wire["ClassMessage"];
/** A row's deployment as the board knows it: a `deploy` or `goals` message names only its id,
 * state and detail (the board's rows from the site also carry its websocket, unused here). */
export type RowDeployment = Pick<Wire["AttemptDeployment"], "id" | "state" | "detail">;
/** An attempt's row on the board (the site's BoardRow), its deployment as the board last heard of it. */
export type Row = Omit<Wire["BoardRow"], "deployment"> & { deployment: RowDeployment | null };

/** The goals all waiting again (a new deployment has started; old results no longer hold). */
export function pendingAgain(goals: Goals): Goals {
  const items = goals.items.map((i) => ({
    ...i,
    status: "pending" as const,
    message: `${i.goal}: waiting for the probes`,
  }));
  return { passed: 0, failed: 0, pending: items.length, total: items.length, items };
}

export class Board {
  readonly rows = new Map<number, Row>();
  role: "instructor" | "student" | null = null;

  /** Applies one websocket message; answers the attempt it changed (null: the whole board). */
  apply(m: Message): number | null {
    switch (m.kind) {
      case "board":
        this.role = m.role;
        this.rows.clear();
        for (const row of m.rows) this.rows.set(row.attempt, row);
        return null;
      case "attempt":
        this.rows.set(m.row.attempt, m.row);
        return m.row.attempt;
      case "deploy": {
        const row = this.rows.get(m.attempt);
        if (!row) return m.attempt;
        if (row.deployment?.id !== m.deployment) row.goals = pendingAgain(row.goals);
        row.deployment = { id: m.deployment, state: m.state, detail: m.detail };
        return m.attempt;
      }
      case "goals": {
        const row = this.rows.get(m.attempt);
        if (!row) return m.attempt;
        if (row.deployment?.id !== m.deployment) row.deployment = { id: m.deployment, state: "deploying", detail: "" };
        row.goals = m.goals;
        return m.attempt;
      }
    }
  }

  sorted(): Row[] {
    return [...this.rows.values()].sort((a, b) => a.student.localeCompare(b.student) || a.exercise - b.exercise);
  }
}

/** `2/3` and whether every goal passed. */
export function progressText(goals: Goals): string {
  return `${goals.passed}/${goals.total}`;
}
