/**
 * Undo and redo over whole-design snapshots. A snapshot is the design's JSON text: cheap to
 * keep (a 500-container design is ~100 kB) and impossible to alias by accident.
 */
import type { Design } from "./model";

export class History {
  private past: string[] = [];
  private future: string[] = [];
  private current: string;

  constructor(design: Design, private readonly limit = 200) {
    this.current = JSON.stringify(design);
  }

  get design(): Design {
    return JSON.parse(this.current) as Design;
  }

  /** Applies `change` to a copy of the current design; a change that throws leaves nothing behind. */
  edit<T>(change: (d: Design) => T): T {
    const draft = this.design;
    const answer = change(draft);
    const text = JSON.stringify(draft);
    if (text !== this.current) {
      this.past.push(this.current);
      if (this.past.length > this.limit) this.past.shift();
      this.current = text;
      this.future = [];
    }
    return answer;
  }

  /** Starts over from `design` (after opening or importing a file): nothing to undo. */
  reset(design: Design): void {
    this.current = JSON.stringify(design);
    this.past = [];
    this.future = [];
  }

  get canUndo(): boolean { return this.past.length > 0; }
  get canRedo(): boolean { return this.future.length > 0; }

  undo(): boolean {
    const prev = this.past.pop();
    if (prev === undefined) return false;
    this.future.push(this.current);
    this.current = prev;
    return true;
  }

  redo(): boolean {
    const next = this.future.pop();
    if (next === undefined) return false;
    this.past.push(this.current);
    this.current = next;
    return true;
  }
}
