/**
 * The design being edited: its undo history and stored document, the selection, every edit (the
 * mode machine that adds and connects is tools.ts), and the validation as you edit.
 */
import type { Allocation, DesignOut } from "./api";
import { ApiError, api } from "./api";
import { Canvas } from "./canvas";
import { DeployPanel } from "./deploy";
import { isBlank, sendable } from "./drafts";
import { draggedOnto } from "./dropconnect";
import { elements } from "./graph";
import { History } from "./history";
import { type Issue, issuesByElement } from "./issues";
import { showIssues } from "./issuelist";
import { nextElement } from "./keynav";
import { designPath, isLocked, lockedPaths, markLocked } from "./locks";
import {
  type Design,
  type Position,
  connect,
  disconnect,
  emptyDesign,
  exists,
  move,
  normalize,
  parseId,
  remove,
  setField,
} from "./model";
import { PropertiesPanel } from "./panel";
import type { Tab, Tabs } from "./tabs";
import type { Toolbar } from "./toolbar";
import { Tools } from "./tools";

/** Which stored design the editor's design is (null: not saved yet) and the text it was last saved as. */
export interface Doc {
  id: number | null;
  saved: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const VALIDATE_DELAY_MS = 350;

export function newDoc(d: Design): Doc {
  return { id: null, saved: JSON.stringify(d) };
}

export class Editor {
  readonly history = new History<Doc>(emptyDesign(), newDoc(emptyDesign()));
  private selected: string | null = null;
  private issues: Issue[] = [];
  private byElement = new Map<string, Issue[]>();
  private alloc: Allocation = {};
  private validateTimer = 0;
  private validateSeq = 0;
  /** The design text the shown issues belong to (tests wait for it). */
  lastValidated = "";
  /** What the panel shows while the design is blank (the examples to start from); null: nothing. */
  private start: HTMLElement | null = null;
  readonly canvas: Canvas;
  /** Idle, placing or connecting: what a click on the drawing does. */
  readonly tools: Tools;
  private readonly panel: PropertiesPanel;
  readonly deploy: DeployPanel;
  /** What a class exercise locked in this design (the class page says so in the address). */
  private readonly locked = lockedPaths(location.hash);

  constructor(
    private readonly toolbar: Toolbar,
    private readonly tabs: Tabs,
  ) {
    this.canvas = new Canvas($("canvas"), {
      tap: (id, at) => this.tools.tap(id, at),
      moved: (positions) => this.moved(positions),
      rename: (id) => {
        this.select(id);
        this.rename();
      },
    });
    this.panel = new PropertiesPanel($("properties"), {
      edit: (change, select) => this.edit(change, select),
      select: (id) => this.select(id),
      back: () => $("canvas").focus(),
    });
    this.deploy = new DeployPanel($("deploy-panel"), {
      design: () => this.history.design,
      saved: () => (this.dirty || this.designId === null ? this.save() : Promise.resolve(this.designId)),
      highlight: (ids) => this.canvas.highlight(ids),
      results: (states) => this.canvas.results(states),
      status: (m, e) => this.status(m, e),
    });
    this.tools = new Tools(this, toolbar, $("canvas"));
    // while an element is dragged over what it would connect to, that is marked
    this.canvas.cy.on("drag", "node", (ev) => {
      if (this.tools.mode.kind !== "connect") this.canvas.connectFrom(draggedOnto(this.canvas.cy, ev.target));
    });
    this.canvas.cy.on("free", "node", () => {
      if (this.tools.mode.kind !== "connect") this.canvas.connectFrom(null);
    });
    // the drawing follows its box (the panel hidden or narrowed, the class page's frame resized)
    new ResizeObserver(() => this.canvas.cy.resize()).observe($("canvas"));
    this.changed();
  }

  get design(): Design {
    return this.history.design;
  }
  get designId(): number | null {
    return this.history.doc.id;
  }
  get dirty(): boolean {
    return JSON.stringify(this.history.design) !== this.history.doc.saved;
  }
  get selection(): string | null {
    return this.selected;
  }

  // ---- editing ---------------------------------------------------------------------

  /** One undoable change; a change that throws is reported (and answered) and leaves the design as it was. */
  edit(change: (d: Design) => void, select?: string | null): string | null {
    try {
      this.history.edit(change);
      if (select !== undefined) this.selected = select;
      this.changed();
      return null;
    } catch (err) {
      this.status((err as Error).message, true);
      return (err as Error).message;
    }
  }

  /** Redraws everything after the design or its document changed, and validates it a moment later. */
  changed(): void {
    const d = this.design;
    if (this.selected && !exists(d, parseId(this.selected))) this.selected = null;
    this.byElement = issuesByElement(this.issues, d);
    this.canvas.render(elements(d, this.alloc), this.byElement);
    this.canvas.select(this.selected);
    this.refreshPanel();
    this.drawIssues();
    this.deploy.designChanged();
    this.toolbar.history(this.history.canUndo, this.history.canRedo);
    document.title = `${d.name}${this.dirty ? " •" : ""} — mvlab`;
    $("design-name").textContent =
      `${d.name}${this.designId ? ` (#${this.designId})` : " (not saved)"}${this.dirty ? " — unsaved changes" : ""}`;
    clearTimeout(this.validateTimer);
    this.validateTimer = window.setTimeout(() => void this.validate(), VALIDATE_DELAY_MS);
  }

  private refreshPanel(): void {
    const ref = this.selected ? parseId(this.selected) : null;
    const blank = !ref && isBlank(this.design);
    this.panel.show(
      this.design,
      ref,
      this.byElement.get(this.selected ?? "") ?? [],
      this.alloc,
      blank ? this.start : null,
    );
    markLocked($("properties"), this.canvas.cy, this.selected, this.locked);
  }

  /** What the panel offers while the design is blank (null: nothing). */
  offerStart(start: HTMLElement | null): void {
    this.start = start;
    this.refreshPanel();
  }

  select(id: string | null): void {
    this.selected = id;
    this.canvas.select(id);
    this.refreshPanel();
  }

  /** Selects an element and brings it into view. */
  reveal(id: string): void {
    this.select(id);
    this.canvas.reveal(id);
  }

  /** Tab in the drawing: the next (back: previous) element in reading order; false past either end. */
  selectNext(back: boolean): boolean {
    const next = nextElement(this.canvas.cy, this.selected, back);
    if (!next) return false;
    this.reveal(next);
    this.status(`selected ${next}`);
    return true;
  }

  /** The selection's name field gets the keyboard. */
  rename(): void {
    this.tabs.show("properties");
    this.panel.focusName();
  }

  /**
   * A drag ended: what was dragged moves, unless it is one element dropped onto what it plugs into
   * (a NIC onto a segment, a container onto a network): then they are connected and it goes back.
   */
  private moved(positions: Record<string, Position>): void {
    const ids = Object.keys(positions);
    const node = ids.length === 1 ? this.canvas.cy.getElementById(ids[0]) : null;
    const onto = node?.nonempty() ? draggedOnto(this.canvas.cy, node) : null;
    if (!onto) {
      this.edit((d) => {
        for (const [id, p] of Object.entries(positions)) move(d, id, p);
      });
      return;
    }
    let said = "";
    if (
      this.edit((d) => {
        said = connect(d, parseId(ids[0]), parseId(onto));
      }, ids[0])
    )
      this.changed(); // refused: back it goes
    else this.status(said);
  }

  deleteSelected(): void {
    const id = this.selected;
    if (!id) return;
    if (!id.includes(":") && isLocked(designPath(id), this.locked))
      return this.status(`${id} is locked by the exercise: keep it`, true);
    if (id.includes(":")) {
      const [kind, rest] = id.split(":");
      const [a, b] = rest.split("|");
      if (kind === "shim") this.edit((d) => setField(d, parseId(a), ["shim"], null), null);
      else if (kind === "parent")
        this.status("a network's parent is a field: change it in the network's properties", true);
      else if (kind === "hostaddr") this.status("a host's address is a field: change it in the host's addresses", true);
      else this.edit((d) => disconnect(d, parseId(a), parseId(b)), null);
      return;
    }
    this.edit((d) => remove(d, parseId(id)), null);
  }

  nudge(dx: number, dy: number): void {
    const id = this.selected;
    if (!id || id.includes(":")) return;
    const node = this.canvas.cy.getElementById(id);
    const leaves = node.isParent() ? node.descendants().filter((n) => !n.isParent()) : node;
    this.edit((d) =>
      leaves.forEach((n) => {
        const p = n.position();
        move(d, n.id(), { x: p.x + dx, y: p.y + dy });
      }),
    );
  }

  /** Tidy: forgets every position and lays the drawing out again. */
  tidy(): void {
    this.edit((d) => {
      d.layout = {};
    });
    this.canvas.fit();
  }

  // ---- validation ------------------------------------------------------------------

  private async validate(): Promise<void> {
    const seq = ++this.validateSeq;
    const d = this.design;
    const text = JSON.stringify(d);
    // An answer about a design that has changed since (an edit, an import) is thrown away.
    const stale = () => seq !== this.validateSeq || JSON.stringify(this.history.design) !== text;
    // what is still being drawn is said here; the rest goes to the site
    const { design: complete, issues: incomplete } = sendable(d);
    try {
      const out = complete ? await api.validate(complete) : { ok: true, issues: [], allocation: {} };
      if (stale()) return;
      this.issues = [...incomplete, ...out.issues];
      this.alloc = out.allocation ?? {};
    } catch (err) {
      if (stale()) return;
      if (err instanceof ApiError && err.issues.length) this.issues = [...incomplete, ...err.issues];
      else return this.status(`checking the design failed: ${(err as Error).message}`, true);
    }
    this.lastValidated = text;
    const errors = this.issues.filter((i) => i.severity === "error").length;
    this.deploy.block(
      isBlank(d)
        ? "Nothing to deploy yet: draw a design, or open an example."
        : errors
          ? `Fix the design's ${errors} error${errors === 1 ? "" : "s"} first (see Issues).`
          : null,
    );
    if (!errors && !isBlank(d) && this.tabs.current === "deploy-panel") void this.deploy.predictUnlessDeployed();
    this.byElement = issuesByElement(this.issues, d);
    this.canvas.render(elements(d, this.alloc), this.byElement);
    this.refreshPanel();
    this.drawIssues();
  }

  private drawIssues(): void {
    const d = this.design;
    const errors = showIssues($("issues"), this.issues, this.byElement, (target) => {
      if (!exists(d, parseId(target))) return;
      this.reveal(target);
    });
    this.tabs.countIssues(this.issues.length, errors);
  }

  /** A tab came to the front: the deploy tab lists the agents and predicts. */
  tabShown(id: Tab): void {
    if (id === "deploy-panel") {
      void this.deploy.refreshAgents();
      void this.deploy.predictUnlessDeployed();
    }
  }

  // ---- the stored document ---------------------------------------------------------

  /** Saves the design as a new version (the first save makes it a stored design); answers its id. */
  async save(): Promise<number> {
    const d = this.design;
    const doc = this.history.doc;
    const out = doc.id === null ? await api.create(d) : await api.update(doc.id, d);
    doc.id = out.id;
    doc.saved = JSON.stringify(d);
    window.history.replaceState(null, "", `#design=${out.id}`);
    this.status(`saved ${out.name}, version ${out.version}`);
    this.changed();
    return out.id;
  }

  /** Shows a stored design in place of the current one (Undo brings the current one back). */
  load(out: DesignOut): void {
    const d = normalize(out.design as unknown as Record<string, unknown>);
    this.replace(d, { id: out.id, saved: JSON.stringify(d) }, out.issues ?? []);
    this.canvas.fit();
  }

  /** Another design takes the place of the shown one (one undoable step), with the issues known of it. */
  replace(d: Design, doc: Doc, issues: Issue[]): void {
    this.history.replace(d, doc);
    this.issues = issues;
    this.documentChanged();
  }

  /** After another design took the place of the shown one (open, new, or undo/redo across them). */
  private documentChanged(): void {
    const id = this.history.doc.id;
    this.selected = null;
    window.history.replaceState(null, "", id === null ? "#" : `#design=${id}`);
    this.changed();
    if (id === null) this.deploy.reset();
    else void this.deploy.resume(id);
  }

  /** Undo or redo; a step back over New or Open brings back that design and its deployments. */
  step(back: boolean): void {
    const doc = this.history.doc;
    if (!(back ? this.history.undo() : this.history.redo())) return;
    if (this.history.doc !== doc) this.documentChanged();
    else this.changed();
  }

  /** Open… renamed a design: the open one takes its new name (saved already, so nothing more to save). */
  renamedElsewhere(out: DesignOut): void {
    const doc = this.history.doc;
    if (doc.id !== out.id) return;
    const clean = !this.dirty;
    this.history.edit((d) => {
      d.name = out.name;
    });
    if (clean) doc.saved = JSON.stringify(this.design);
    this.changed();
  }

  /** Open… deleted a design: the open one stays drawn, unsaved (Save makes it a new design). */
  deletedElsewhere(id: number): void {
    const doc = this.history.doc;
    if (doc.id !== id) return;
    doc.id = null;
    doc.saved = "";
    window.history.replaceState(null, "", "#");
    this.changed();
  }

  status(message: string, error = false): void {
    const bar = $("status");
    bar.textContent = message;
    bar.className = error ? "error" : "";
  }
}
