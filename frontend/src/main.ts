/** The editor: wires the drawing, the panels, the toolbar and the keyboard to the design. */
import "./style.css";
import { type Allocation, ApiError, type DesignOut, type Example, type Session, api } from "./api";
import { ask, tell } from "./ask";
import { Canvas } from "./canvas";
import { DeployPanel } from "./deploy";
import { clear, h } from "./dom";
import { isBlank, sendable } from "./drafts";
import { acceptDrops, askComposeHost, download, exampleList, pickDesign } from "./files";
import { showShortcuts, togglePanel } from "./help";
import { draggedOnto } from "./dropconnect";
import { nextElement } from "./keynav";
import { freeSpot } from "./placing";
import { designPath, isLocked, lockedPaths, markLocked } from "./locks";
import { elements } from "./graph";
import { History } from "./history";
import { restoreVersion, showVersions } from "./versions";
import { type Issue, issuesByElement } from "./issues";
import {
  type Design, type Kind, type Position, type Ref, addEndpoint, addHost, addNetwork, addNic, addSegment, connect,
  disconnect, emptyDesign, exists, move, normalize, parseId, refId, remove, setField,
} from "./model";
import { PropertiesPanel } from "./panel";

type Mode = { kind: "idle" } | { kind: "place"; what: Kind } | { kind: "connect"; from: string | null };
type Tab = "properties" | "issues" | "deploy-panel";
/** Which stored design the editor's design is (null: not saved yet) and the text it was last saved as. */
interface Doc { id: number | null; saved: string }

/** Keys that start adding an element (then click where it goes, or press Enter to put it beside the selection). */
const ADD_KEYS: Record<string, Kind> = {
  h: "hosts", i: "nics", s: "segments", n: "networks", c: "containers", r: "routers",
};
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const VALIDATE_DELAY_MS = 350;

/** True while the user types: keyboard shortcuts then belong to the field, never to the editor. */
function isTextField(el: EventTarget | null): boolean {
  if (el instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit", "reset", "file"].includes(el.type);
  return el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement || (el instanceof HTMLElement && el.isContentEditable);
}

/** An error in words, with the first issue the site gave (where and why). */
function explainError(err: unknown): string {
  const first = err instanceof ApiError ? err.issues.find((i) => i.severity === "error") : undefined;
  return `${(err as Error).message}${first ? ` — ${first.path}: ${first.message}${first.hint ? ` (${first.hint})` : ""}` : ""}`;
}

function newDoc(d: Design): Doc {
  return { id: null, saved: JSON.stringify(d) };
}

class Editor {
  private history = new History<Doc>(emptyDesign(), newDoc(emptyDesign()));
  private examples: Example[] = [];
  private readonly start = h("div", { id: "start" });
  private selected: string | null = null;
  private issues: Issue[] = [];
  private byElement = new Map<string, Issue[]>();
  private alloc: Allocation = {};
  private mode: Mode = { kind: "idle" };
  /** Shift was held on the last press on the drawing: placing keeps the tool armed for the next one. */
  private keepTool = false;
  private validateTimer = 0;
  private validateSeq = 0;
  /** The design text the shown issues belong to (tests wait for it). */
  lastValidated = "";
  private searchHits: string[] = [];
  private searchIndex = 0;
  private tab: Tab = "properties";
  private readonly canvas: Canvas;
  private readonly panel: PropertiesPanel;
  private readonly deploy: DeployPanel;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  /** What a class exercise locked in this design (the class page says so in the address). */
  private readonly locked = lockedPaths(location.hash);

  constructor(private readonly user: string) {
    this.canvas = new Canvas($("canvas"), {
      tap: (id, at) => this.tap(id, at),
      moved: (positions) => this.moved(positions),
      rename: (id) => { this.select(id); this.showTab("properties"); this.panel.focusName(); },
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
    this.toolbar();
    this.tabs();
    $("canvas").addEventListener("pointerdown", (ev) => { this.keepTool = ev.shiftKey; }, true);
    // while an element is dragged over what it would connect to, that is marked
    this.canvas.cy.on("drag", "node", (ev) => {
      if (this.mode.kind !== "connect") this.canvas.connectFrom(draggedOnto(this.canvas.cy, ev.target));
    });
    this.canvas.cy.on("free", "node", () => { if (this.mode.kind !== "connect") this.canvas.connectFrom(null); });
    document.addEventListener("keydown", (ev) => this.key(ev));
    // the drawing follows its box (the panel hidden or narrowed, the class page's frame resized)
    new ResizeObserver(() => this.canvas.cy.resize()).observe($("canvas"));
    acceptDrops(document.body, (file) => void this.importFile(file));
    window.addEventListener("beforeunload", (ev) => { if (this.dirty) ev.preventDefault(); });
    this.changed();
  }

  get design(): Design { return this.history.design; }
  get designId(): number | null { return this.history.doc.id; }
  private get dirty(): boolean { return JSON.stringify(this.history.design) !== this.history.doc.saved; }

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

  private changed(): void {
    const d = this.design;
    if (this.selected && !exists(d, parseId(this.selected))) this.selected = null;
    this.byElement = issuesByElement(this.issues, d);
    this.canvas.render(elements(d, this.alloc), this.byElement);
    this.canvas.select(this.selected);
    this.refreshPanel();
    this.drawIssues();
    this.deploy.designChanged();
    this.buttons.get("undo")!.disabled = !this.history.canUndo;
    this.buttons.get("redo")!.disabled = !this.history.canRedo;
    document.title = `${d.name}${this.dirty ? " •" : ""} — mvlab`;
    $("design-name").textContent = `${d.name}${this.designId ? ` (#${this.designId})` : " (not saved)"}${this.dirty ? " — unsaved changes" : ""}`;
    clearTimeout(this.validateTimer);
    this.validateTimer = window.setTimeout(() => void this.validate(), VALIDATE_DELAY_MS);
  }

  private refreshPanel(): void {
    const ref = this.selected ? parseId(this.selected) : null;
    const blank = !ref && isBlank(this.design) && this.examples.length > 0;
    this.panel.show(this.design, ref, this.byElement.get(this.selected ?? "") ?? [], this.alloc, blank ? this.start : null);
    markLocked($("properties"), this.canvas.cy, this.selected, this.locked);
  }

  select(id: string | null): void {
    this.selected = id;
    this.canvas.select(id);
    this.refreshPanel();
  }

  private hostOf(id: string | null): string | null {
    if (!id || id.includes(":")) return null;
    const ref = parseId(id);
    if (ref.kind === "hosts") return ref.name;
    if (ref.kind === "nics") return ref.host!;
    if (ref.kind === "containers" || ref.kind === "routers") return this.design[ref.kind][ref.name]?.host ?? null;
    return null;
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
      this.edit((d) => { for (const [id, p] of Object.entries(positions)) move(d, id, p); });
      return;
    }
    let said = "";
    if (this.edit((d) => { said = connect(d, parseId(ids[0]), parseId(onto)); }, ids[0])) this.changed();  // refused: back it goes
    else this.status(said);
  }

  private tap(id: string | null, at: Position): void {
    const mode = this.mode;
    if (mode.kind === "place") {
      const kind = mode.what;
      const host = this.hostOf(id) ?? this.hostOf(this.selected);
      const inHost = ["nics", "containers", "routers"].includes(kind);
      const spot = host && inHost ? freeSpot(this.canvas.cy, host, kind.slice(0, -1), at) : at;
      const pos = { x: Math.round(spot.x), y: Math.round(spot.y) };
      if (!host && inHost) {
        // the tool stays on: the next click inside a host places it
        const what = kind.slice(0, -1);
        const hint = Object.keys(this.design.hosts).length ? "click inside a host's box" : "add a host first (+ Host, or H)";
        return this.status(`a ${what} lives in a host: ${hint} to place the ${what} (Esc cancels)`, true);
      }
      if (!this.keepTool) this.setMode({ kind: "idle" });
      let made: Ref | null = null;
      this.edit((d) => {
        if (kind === "hosts") made = addHost(d, pos);
        else if (kind === "segments") made = addSegment(d, pos);
        else if (kind === "networks") made = addNetwork(d, pos);
        else if (!host) throw new Error(`click inside a host to place the ${kind.slice(0, -1)}`);
        else if (kind === "nics") { made = addNic(d, host); move(d, `nics.${host}.${made.name}`, pos); }
        else made = addEndpoint(d, kind as "containers" | "routers", host, pos);
      });
      if (made) this.named(made);
      return;
    }
    if (mode.kind === "connect" && id && !id.includes(":")) {
      if (!mode.from) { this.mode = { kind: "connect", from: id }; this.canvas.connectFrom(id); return; }
      const from = mode.from;
      this.mode = { kind: "connect", from: null };
      this.canvas.connectFrom(null);
      let said = "";
      this.edit((d) => { said = connect(d, parseId(from), parseId(id)); });
      if (said) this.status(said);
      return;
    }
    this.select(id);
  }

  /** A new element is selected with its name field ready: typing names it, Enter or Esc goes back to the drawing. */
  private named(made: Ref): void {
    this.select(refId(made));
    this.showTab("properties");
    this.panel.focusName();
    const what = `${made.kind.slice(0, -1)} ${made.name}`;
    const more = this.mode.kind === "place" ? `; the tool stays on (Shift was held), Esc ends it` : "";
    this.status(`added ${what}: type its name and press Enter, or Esc to keep ${made.name}${more}`);
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    this.canvas.connectFrom(null);
    for (const [name, b] of this.buttons) {
      b.classList.toggle("active", (mode.kind === "place" && name === `add-${mode.what}`) || (mode.kind === "connect" && name === "connect"));
    }
    $("canvas").dataset.mode = mode.kind;
    if (mode.kind === "place") {
      const inside = ["nics", "containers", "routers"].includes(mode.what) ? " inside a host" : "";
      this.status(`click on the drawing${inside} to place the ${mode.what.slice(0, -1)}, or press Enter to put it beside the selection; hold Shift to place several (Esc cancels)`);
    } else if (mode.kind === "connect") {
      this.status("connect: click a NIC then a segment, a container or router then a network, or a network then its parent NIC (Esc ends)");
    }
  }

  /** Keyboard connecting: L on one element, select another (search), L again. */
  private connectSelected(): void {
    const id = this.selected;
    if (!id || id.includes(":")) return this.status("select an element first, then press L", true);
    if (this.mode.kind === "connect" && this.mode.from && this.mode.from !== id) {
      this.tap(id, { x: 0, y: 0 });
      this.setMode({ kind: "idle" });
      return;
    }
    this.setMode({ kind: "connect", from: id });
    this.canvas.connectFrom(id);
    this.status(`connecting ${id}: select the other element (Ctrl-F to find it), then press L`);
  }

  /** Where a keyboard-added element goes: beside the selected node, else the middle of the view. */
  private besideSelection(): Position {
    const node = this.selected && !this.selected.includes(":") ? this.canvas.cy.getElementById(this.selected) : null;
    if (!node || node.empty()) return this.canvas.viewportCenter();
    const box = node.boundingBox({});
    return this.canvas.inView({ x: box.x2 + 60, y: (box.y1 + box.y2) / 2 });
  }

  private deleteSelected(): void {
    const id = this.selected;
    if (!id) return;
    if (!id.includes(":") && isLocked(designPath(id), this.locked)) return this.status(`${id} is locked by the exercise: keep it`, true);
    if (id.includes(":")) {
      const [kind, rest] = id.split(":");
      const [a, b] = rest.split("|");
      if (kind === "shim") this.edit((d) => setField(d, parseId(a), ["shim"], null), null);
      else if (kind === "parent") this.status("a network's parent is a field: change it in the network's properties", true);
      else if (kind === "hostaddr") this.status("a host's address is a field: change it in the host's addresses", true);
      else this.edit((d) => disconnect(d, parseId(a), parseId(b)), null);
      return;
    }
    this.edit((d) => remove(d, parseId(id)), null);
  }

  private nudge(dx: number, dy: number): void {
    const id = this.selected;
    if (!id || id.includes(":")) return;
    const node = this.canvas.cy.getElementById(id);
    const leaves = node.isParent() ? node.descendants().filter((n) => !n.isParent()) : node;
    this.edit((d) => leaves.forEach((n) => { const p = n.position(); move(d, n.id(), { x: p.x + dx, y: p.y + dy }); }));
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
    this.deploy.block(isBlank(d) ? "Nothing to deploy yet: draw a design, or open an example."
      : errors ? `Fix the design's ${errors} error${errors === 1 ? "" : "s"} first (see Issues).` : null);
    if (!errors && !isBlank(d) && this.tab === "deploy-panel") void this.deploy.predictUnlessDeployed();
    this.byElement = issuesByElement(this.issues, d);
    this.canvas.render(elements(d, this.alloc), this.byElement);
    this.refreshPanel();
    this.drawIssues();
  }

  private drawIssues(): void {
    const root = $("issues");
    clear(root);
    const errors = this.issues.filter((i) => i.severity === "error").length;
    const tab = this.buttons.get("tab-issues");
    if (tab) tab.textContent = `Issues (${this.issues.length})`;
    tab?.classList.toggle("bad", errors > 0);
    root.append(h("h2", {}, errors ? `${errors} error${errors === 1 ? "" : "s"}` : "No errors"));
    if (!this.issues.length) root.append(h("p", { class: "help" }, "The design is valid."));
    const d = this.design;
    root.append(h("ul", { class: "issues", id: "issue-list" }, ...this.issues.map((issue) => {
      const target = [...this.byElement.entries()].find(([, list]) => list.includes(issue))?.[0] || null;
      return h("li", { class: `${issue.severity} ${target ? "clickable" : ""}`, "data-path": issue.path, onclick: () => {
        if (!target || !exists(d, parseId(target))) return;
        this.select(target);
        this.canvas.reveal(target);
      } }, h("b", {}, `${issue.path}: `), issue.message,
      issue.hint ? h("div", { class: "hint" }, issue.hint) : null);
    })));
  }

  // ---- files -----------------------------------------------------------------------

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

  private async trySave(): Promise<void> {
    try { await this.save(); } catch (err) { this.status(`Not saved: ${explainError(err)}`, true); }
  }

  /** Shows a stored design in place of the current one (Undo brings the current one back). */
  load(out: DesignOut): void {
    const d = normalize(out.design as unknown as Record<string, unknown>);
    this.history.replace(d, { id: out.id, saved: JSON.stringify(d) });
    this.issues = out.issues ?? [];
    this.documentChanged();
    this.canvas.fit();
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
  private step(back: boolean): void {
    const doc = this.history.doc;
    if (!(back ? this.history.undo() : this.history.redo())) return;
    if (this.history.doc !== doc) this.documentChanged();
    else this.changed();
  }

  /** Before the design is replaced: asks what to do with unsaved changes; false to stay. */
  private async mayReplace(): Promise<boolean> {
    if (!this.dirty) return true;
    const answer = await ask($("dialog"), "Unsaved changes", [
      `${this.design.name} has changes that are not saved.`,
      "Save them as a new version, or leave them (Undo brings them back while this page is open)?",
    ], [
      { label: "Save, then continue", value: "save", id: "dialog-save", primary: true },
      { label: "Leave them", value: "discard", id: "dialog-discard" },
    ]);
    if (answer === "save") {
      try { await this.save(); } catch (err) { this.status(`Not saved: ${explainError(err)}`, true); return false; }
    }
    return answer !== null;
  }

  private async newDesign(): Promise<void> {
    if (!(await this.mayReplace())) return;
    const d = emptyDesign();
    this.history.replace(d, newDoc(d));
    this.issues = [];
    this.documentChanged();
    this.status("New design: start from an example (right), or add hosts with the toolbar.");
  }

  private async open(): Promise<void> {
    try {
      const picked = await pickDesign($("dialog"), {
        renamed: (out) => this.renamedElsewhere(out), deleted: (id) => this.deletedElsewhere(id) });
      if (!picked) return;
      if ("example" in picked) return await this.openExample(picked.example);
      if (!(await this.mayReplace())) return;
      this.load(picked.design);
      this.status(`opened ${picked.design.name}, version ${picked.design.version}`);
    } catch (err) { this.status(`Could not open it: ${(err as Error).message}`, true); }
  }

  /** Open… renamed a design: the open one takes its new name (saved already, so nothing more to save). */
  private renamedElsewhere(out: DesignOut): void {
    const doc = this.history.doc;
    if (doc.id !== out.id) return;
    const clean = !this.dirty;
    this.history.edit((d) => { d.name = out.name; });
    if (clean) doc.saved = JSON.stringify(this.design);
    this.changed();
  }

  /** Open… deleted a design: the open one stays drawn, unsaved (Save makes it a new design). */
  private deletedElsewhere(id: number): void {
    const doc = this.history.doc;
    if (doc.id !== id) return;
    doc.id = null;
    doc.saved = "";
    window.history.replaceState(null, "", "#");
    this.changed();
  }

  /** The saved versions: compare two, or restore one as the newest version. */
  private async versions(): Promise<void> {
    const id = this.history.doc.id;
    if (id === null) return this.status("Versions are those of a saved design: save this one first.", true);
    try {
      const number = await showVersions($("dialog"), id, this.design.name);
      if (number === null || !(await this.mayReplace())) return;
      const out = await restoreVersion(id, number);
      this.load(out);
      this.status(`restored version ${number} of ${out.name} as version ${out.version}`);
    } catch (err) { this.status(`Versions: ${explainError(err)}`, true); }
  }

  /** Saves an example as a design of the user's own and opens it. */
  private async openExample(example: Example): Promise<void> {
    if (!(await this.mayReplace())) return;
    try {
      const out = await api.createFromYaml(example.yaml);
      this.load(out);
      this.status(`opened the example ${example.name} as your design #${out.id}: ${example.teaches}`);
    } catch (err) { this.status(`Could not open the example ${example.name}: ${explainError(err)}`, true); }
  }

  async loadExamples(): Promise<void> {
    try {
      this.examples = await api.examples();
    } catch (err) {
      return this.status(`The examples could not be listed: ${(err as Error).message}`, true);
    }
    clear(this.start);
    this.start.append(h("h2", {}, "Start from an example"),
      h("p", { class: "help" }, "Each is a lab to deploy and learn from; it is saved as your own design."),
      exampleList(this.examples, (e) => void this.openExample(e)),
      h("p", { class: "help" }, "Or draw one: H adds a host, S a segment, N a network, C a container (inside a host)."));
    this.refreshPanel();
  }

  async openId(id: number): Promise<void> {
    try {
      const out = await api.design(id);
      this.load(out);
      this.history.reset(this.design, this.history.doc);  // the page opened on it: nothing before it to undo
      this.changed();
    } catch (err) { this.status(`Could not open design #${id}: ${(err as Error).message}`, true); }
  }

  private async importFile(file: File): Promise<void> {
    if (!(await this.mayReplace())) return;
    const host = await askComposeHost($("dialog"), file);
    if (host === null) return;
    try {
      const out = await api.import(file, host);
      this.load(out);
      this.status(`imported ${file.name} as ${out.name}, version ${out.version}`);
    } catch (err) {
      const issues = err instanceof ApiError ? err.issues : [];
      this.status(`import ${file.name}: ${(err as Error).message}${issues.length ? " (details in the dialog)" : ""}`, true);
      if (issues.length) {
        void tell($("dialog"), `${file.name} does not load`, [h("ul", { class: "issues", id: "import-errors" }, ...issues.map((i) =>
          h("li", { class: i.severity }, h("b", {}, `${i.line ? `line ${i.line} · ` : ""}${i.path || "the file"}: `), i.message,
            i.hint ? h("div", { class: "hint" }, i.hint) : null)))]);
      }
    }
  }

  private async exportAs(to: "yaml" | "sh" | "docker" | "compose"): Promise<void> {
    try {
      const id = this.dirty || this.designId === null ? await this.save() : this.designId;
      const said = await download(id, this.design.name, to, Object.keys(this.design.hosts));
      if (said) this.status(said);  // a host without a Compose file: why, and what to run there
    } catch (err) { this.status(`Not exported: ${explainError(err)}`, true); }
  }

  // ---- chrome ----------------------------------------------------------------------

  status(message: string, error = false): void {
    const bar = $("status");
    bar.textContent = message;
    bar.className = error ? "error" : "";
  }

  private toolbar(): void {
    const bar = $("toolbar");
    const button = (name: string, label: string, action: () => void, title = "") => {
      const b = h("button", { id: name, title: title || label, type: "button", onclick: action }, label);
      this.buttons.set(name, b);
      return b;
    };
    const place = (what: Kind) => () => this.setMode(this.mode.kind === "place" && this.mode.what === what ? { kind: "idle" } : { kind: "place", what });
    const fileInput = h("input", { type: "file", accept: ".yaml,.yml,text/yaml", id: "import-file", hidden: true });
    fileInput.addEventListener("change", () => { const f = fileInput.files?.[0]; if (f) void this.importFile(f); fileInput.value = ""; });
    const search = h("input", { type: "search", id: "search", placeholder: "find by name (Ctrl-F)" });
    search.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      const hits = this.canvas.find(search.value);
      if (!hits.length) return this.status(`nothing named like "${search.value}"`, true);
      this.searchIndex = hits.join() === this.searchHits.join() ? (this.searchIndex + 1) % hits.length : 0;
      this.searchHits = hits;
      const id = hits[this.searchIndex];
      this.select(id);
      this.canvas.reveal(id);
      this.status(`${this.searchIndex + 1} of ${hits.length}: ${id}`);
    });
    bar.append(
      h("strong", { class: "brand" }, "mvlab"),
      h("span", { class: "group" },
        button("new", "New", () => void this.newDesign()),
        button("open", "Open…", () => void this.open()),
        button("save", "Save", () => void this.trySave(), "Save a new version (Ctrl-S)"),
        button("versions", "Versions…", () => void this.versions(), "The saved versions: compare two, restore one"),
        button("import", "Import…", () => fileInput.click(), "Import a design or a Docker Compose file (or drop it on the page)"), fileInput,
        button("export-yaml", "YAML", () => void this.exportAs("yaml"), "Export as YAML"),
        button("export-sh", "Shell", () => void this.exportAs("sh"), "Export as a shell script of ip commands"),
        button("export-docker", "Docker", () => void this.exportAs("docker"), "Export as docker commands"),
        button("export-compose", "Compose", () => void this.exportAs("compose"), "Export a Docker Compose file per host")),
      h("span", { class: "group" },
        button("add-hosts", "+ Host", place("hosts"), "Add: click the button or press H, then click where it goes (or Enter)"),
        button("add-nics", "+ NIC", place("nics"), "Add: click the button or press I, then click where it goes (or Enter)"),
        button("add-segments", "+ Segment", place("segments"), "Add: click the button or press S, then click where it goes (or Enter)"),
        button("add-networks", "+ Network", place("networks"), "Add: click the button or press N, then click where it goes (or Enter)"),
        button("add-containers", "+ Container", place("containers"), "Add: click the button or press C, then click where it goes (or Enter)"),
        button("add-routers", "+ Router", place("routers"), "Add: click the button or press R, then click where it goes (or Enter)"),
        button("connect", "Connect", () => this.setMode(this.mode.kind === "connect" ? { kind: "idle" } : { kind: "connect", from: null }),
          "Connect two elements: click one then the other; or L on one, L on the other"),
        button("delete", "Delete", () => this.deleteSelected(), "Delete the selection (Delete)")),
      h("span", { class: "group" },
        button("undo", "Undo", () => this.step(true), "Ctrl-Z"),
        button("redo", "Redo", () => this.step(false), "Ctrl-Shift-Z")),
      h("span", { class: "group" },
        button("fit", "Fit", () => this.canvas.fit()),
        button("relayout", "Tidy", () => { this.edit((d) => { d.layout = {}; }); this.canvas.fit(); }, "Forget positions and lay everything out again"),
        search),
      h("span", { id: "design-name" }),
      h("a", { href: "/class/", id: "classes-link", title: "Classes: teach or join one" }, "Classes"),
      button("panel-toggle", "Panel", togglePanel, "Hide or show the side panel (P)"),
      button("help-button", "?", () => void showShortcuts($("dialog")), "Keyboard shortcuts (?)"),
      h("span", { class: "user" }, `${this.user} `, button("signout", "Sign out", async () => { await api.signOut(); location.reload(); })),
    );
  }

  private tabs(): void {
    const nav = $("tabs");
    const tab = (id: Tab, label: string) => {
      const b = h("button", { id: `tab-${id === "deploy-panel" ? "deploy" : id}`, type: "button", onclick: () => this.showTab(id) }, label);
      this.buttons.set(`tab-${id === "deploy-panel" ? "deploy" : id}`, b);
      return b;
    };
    nav.append(tab("properties", "Properties"), tab("issues", "Issues"), tab("deploy-panel", "Deploy"));
    this.showTab("properties");
  }

  private showTab(id: Tab): void {
    this.tab = id;
    for (const section of document.querySelectorAll<HTMLElement>("section.tab")) section.hidden = section.id !== id;
    for (const [name, b] of this.buttons) if (name.startsWith("tab-")) b.classList.toggle("active", name === `tab-${id === "deploy-panel" ? "deploy" : id}`);
    if (id === "deploy-panel") { void this.deploy.refreshAgents(); void this.deploy.predictUnlessDeployed(); }
  }

  private key(ev: KeyboardEvent): void {
    if (document.querySelector("dialog[open]")) return;  // the dialog has the keyboard
    const typing = isTextField(ev.target) || isTextField(document.activeElement);
    const ctrl = ev.ctrlKey || ev.metaKey;
    const k = ev.key.toLowerCase();
    if (ctrl && k === "s") { ev.preventDefault(); (document.activeElement as HTMLElement | null)?.blur?.(); void this.trySave(); return; }
    if (ctrl && k === "f") { ev.preventDefault(); $("search").focus(); return; }
    if (ev.key === "Escape") {
      if (typing) (ev.target as HTMLElement).blur();
      else this.setMode({ kind: "idle" });
      return;
    }
    if (typing) return;
    if (!ctrl && !ev.altKey && ADD_KEYS[k]) { ev.preventDefault(); this.setMode({ kind: "place", what: ADD_KEYS[k] }); return; }
    if (!ctrl && k === "l") { ev.preventDefault(); this.connectSelected(); return; }
    if (ev.key === "?") { ev.preventDefault(); void showShortcuts($("dialog")); return; }
    if (!ctrl && !ev.altKey && k === "p") { ev.preventDefault(); togglePanel(); return; }
    if (ev.key === "Tab" && !ctrl && ev.target === $("canvas")) {
      const next = nextElement(this.canvas.cy, this.selected, ev.shiftKey);
      if (next) { ev.preventDefault(); this.select(next); this.canvas.reveal(next); this.status(`selected ${next}`); }
      return;
    }
    if (ev.key === "Enter" && this.mode.kind === "place") {
      ev.preventDefault();
      this.keepTool = ev.shiftKey;
      this.tap(null, this.besideSelection());
      return;
    }
    if (ctrl && k === "z" && !ev.shiftKey) { ev.preventDefault(); this.step(true); }
    else if (ctrl && ((k === "z" && ev.shiftKey) || k === "y")) { ev.preventDefault(); this.step(false); }
    else if (ev.key === "Delete" || ev.key === "Backspace") { ev.preventDefault(); this.deleteSelected(); }
    else if (ev.key === "F2") { ev.preventDefault(); this.showTab("properties"); this.panel.focusName(); }
    else if (ev.key.startsWith("Arrow") && this.selected) {
      ev.preventDefault();
      const step = ev.shiftKey ? 50 : 10;
      const [dx, dy] = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[ev.key] ?? [0, 0];
      this.nudge(dx, dy);
    }
  }
}

/** Asks for a user name and password until the site accepts them. */
function signIn(): Promise<string> {
  const box = $("signin");
  box.hidden = false;
  return new Promise((resolve) => {
    const user = h("input", { name: "username", autocomplete: "username", required: true });
    const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const error = h("p", { class: "error" });
    const form = h("form", { id: "signin-form" }, h("h1", {}, "mvlab"), h("p", {}, "Sign in to design and deploy macvlan labs."),
      h("label", {}, "User name ", user), h("label", {}, "Password ", pass), error, h("button", { type: "submit" }, "Sign in"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const s = await api.signIn(user.value, pass.value);
        if (!s.user) throw new Error("the site did not accept the sign-in");
        box.hidden = true;
        resolve(s.user);
      } catch (err) {
        error.textContent = err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 400)
          ? "Wrong user name or password." : (err as Error).message;
      }
    });
    box.append(form);
    user.focus();
  });
}

async function main(): Promise<void> {
  let session: Session;
  try {
    session = await api.session();
  } catch (err) {
    document.body.textContent = `The site does not answer: ${(err as Error).message}`;
    return;
  }
  const user = session.user ?? (await signIn());
  const editor = new Editor(user);
  const id = /design=(\d+)/.exec(location.hash)?.[1];
  if (id) await editor.openId(Number(id));
  else editor.status("Start from an example (right), or add hosts, segments and networks with the toolbar; drop a YAML file here to import it.");
  void editor.loadExamples();
  (window as unknown as { mvlab: Editor }).mvlab = editor;
}

void main();
