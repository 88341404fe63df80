/** The class board as the class websocket describes it: one row per attempt, kept up to date. */

export interface GoalItem { goal: string; status: "passed" | "failed" | "pending"; message: string }
export interface Goals { passed: number; failed: number; pending: number; total: number; items: GoalItem[] }
export interface RowDeployment { id: string; state: string; detail: string }
export interface Row {
  attempt: number; exercise: number; exercise_title: string; student: string; design: number;
  deployment: RowDeployment | null; goals: Goals;
}
export type Message =
  | { kind: "board"; role: "instructor" | "student"; rows: Row[] }
  | { kind: "attempt"; row: Row }
  | { kind: "deploy"; attempt: number; deployment: string; state: string; detail: string }
  | { kind: "goals"; attempt: number; deployment: string; goals: Goals };

/** The goals all waiting again (a new deployment has started; old results no longer hold). */
export function pendingAgain(goals: Goals): Goals {
  const items = goals.items.map((i) => ({ ...i, status: "pending" as const, message: `${i.goal}: waiting for the probes` }));
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
