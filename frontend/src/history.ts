/**
 * Undo and redo over whole-design snapshots. A snapshot is the design's JSON text: cheap to
 * keep (a 500-container design is ~100 kB) and impossible to alias by accident.
 *
 * Each snapshot also carries a `doc`: which stored design it belongs to (the editor keeps one
 * object per document, with its id and last saved text, shared by all its snapshots and updated
 * when it is saved), so undoing a New or an Open brings back the design that was there before,
 * still tied to where it is saved.
 */
import type { Design } from "./model";

interface Snapshot<Doc> {
  text: string;
  doc: Doc;
}

export class History<Doc = null> {
  private past: Snapshot<Doc>[] = [];
  private future: Snapshot<Doc>[] = [];
  private current: Snapshot<Doc>;

  constructor(
    design: Design,
    doc: Doc = null as Doc,
    private readonly limit = 200,
  ) {
    this.current = { text: JSON.stringify(design), doc };
  }

  get design(): Design {
    return JSON.parse(this.current.text) as Design;
  }

  get doc(): Doc {
    return this.current.doc;
  }

  /** Applies `change` to a copy of the current design; a change that throws leaves nothing behind. */
  edit<T>(change: (d: Design) => T): T {
    const draft = this.design;
    const answer = change(draft);
    const text = JSON.stringify(draft);
    if (text !== this.current.text) this.push({ text, doc: this.current.doc });
    return answer;
  }

  /** Another design takes the place of this one (New, Open, an example): one undoable step. */
  replace(design: Design, doc: Doc): void {
    this.push({ text: JSON.stringify(design), doc });
  }

  /** Starts over from `design`: nothing to undo. */
  reset(design: Design, doc: Doc = null as Doc): void {
    this.current = { text: JSON.stringify(design), doc };
    this.past = [];
    this.future = [];
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }
  get canRedo(): boolean {
    return this.future.length > 0;
  }

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

  private push(next: Snapshot<Doc>): void {
    this.past.push(this.current);
    if (this.past.length > this.limit) this.past.shift();
    this.current = next;
    this.future = [];
  }
}
