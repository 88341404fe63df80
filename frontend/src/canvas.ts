/** The Cytoscape drawing: keeps it in step with the design and reports clicks and moves. */
import cytoscape from "cytoscape";
import type { ElementDef } from "./graph";
import { aimAt, textSize } from "./layout";
import type { Issue } from "./issues";
import type { Position } from "./model";

export interface CanvasEvents {
  tap(id: string | null, at: Position): void;
  moved(positions: Record<string, Position>): void;
  /** A double click: the user wants to rename the element. */
  rename(id: string): void;
}

const DOUBLE_CLICK_MS = 400;

/** Room kept free around the drawing when it is fitted to the view, in screen pixels. */
const FIT_MARGIN = 24;
/** The least height of a label on screen, in pixels: a label that the zoom would draw smaller is not
 * drawn (class "unreadable"), so what the drawing shows can always be read. (Cytoscape's own
 * min-zoomed-font-size compares at the zoom rounded up to a power of two: it still draws 5 px labels.) */
export const READABLE_PX = 9;
/** The least font of the drawing's labels (containers, NICs, networks), and so the least zoom at which
 * all of them are readable: a fit never goes below it. */
const SMALL_FONT = 10;
export const READABLE_ZOOM = READABLE_PX / SMALL_FONT;
/** The font of a host's name (bold: measured this much wider than the layout's regular glyphs). */
const HOST_FONT = 13;
const BOLD = 1.15;

/** An element's name: its id without the kind ("hosts.gw" → "gw"). */
function nameOf(id: string): string {
  return id.slice(id.indexOf(".") + 1);
}

// Nodes are sized to their labels (graph.ts) and hold them inside, so a label never lies on
// another element; lines turn at right angles at levels between the boxes (data(turn)).
const STYLE: cytoscape.StylesheetJson = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": SMALL_FONT,
      "text-wrap": "wrap",
      "text-valign": "center",
      "text-halign": "center",
      "font-family": "system-ui, sans-serif",
      color: "#1f2933",
      "border-width": 1,
      "border-color": "#52606d",
      width: "data(w)",
      height: "data(h)",
    },
  },
  {
    selector: "node.host",
    style: {
      shape: "round-rectangle",
      "background-color": "#f0f4f8",
      "border-width": 2,
      "text-valign": "top",
      "text-halign": "left-inside",
      "font-size": HOST_FONT,
      "font-weight": "bold",
      padding: "22px",
      "text-margin-y": -4,
      // the name takes the left of the top edge, the NICs (where the trunk comes in) the right
      "min-width": "data(minW)",
      "min-width-bias-left": "100%",
      "min-width-bias-right": "0%",
    },
  },
  {
    selector: "node.host.forwarding",
    style: {
      "background-color": "#fff3e0",
      "border-color": "#e8590c",
      "border-style": "dashed",
      "border-width": 3,
    },
  },
  { selector: "node.nic", style: { shape: "round-rectangle", "background-color": "#bcccdc" } },
  {
    selector: "node.container",
    style: { shape: "round-rectangle", "background-color": "#d0ebff", "border-color": "#1c7ed6" },
  },
  {
    selector: "node.router",
    style: {
      shape: "round-hexagon",
      "background-color": "#ffc078",
      "border-color": "#e8590c",
      "border-width": 2,
    },
  },
  {
    selector: "node.segment",
    style: {
      shape: "rectangle",
      "background-color": "#334e68",
      "text-valign": "top",
      "text-margin-y": -3,
      "font-weight": "bold",
    },
  },
  {
    selector: "node.network",
    style: { shape: "round-rectangle", "background-color": "#d3f9d8", "border-color": "#2b8a3e" },
  },
  {
    selector: "edge",
    style: {
      width: 2,
      "curve-style": "taxi",
      "taxi-direction": "vertical",
      "taxi-turn": "data(turn)",
      "taxi-turn-min-distance": 4,
      "edge-distances": "node-position",
      "line-color": "#829ab1",
    },
  },
  {
    selector: "edge[weights]",
    style: { "curve-style": "segments", "segment-weights": "data(weights)", "segment-distances": "data(distances)" },
  },
  { selector: "edge.port", style: { width: 4, "line-color": "#334e68" } },
  { selector: "edge.attach", style: { "line-color": "#40c057" } },
  { selector: "edge.parent", style: { "line-style": "dashed", "line-color": "#adb5bd", width: 1.5 } },
  { selector: "edge.hostaddr", style: { "line-style": "dashed", "line-color": "#e8590c", width: 2.5 } },
  { selector: "edge.shim", style: { "line-style": "dotted", "line-color": "#7048e8", width: 2 } },
  // the overview (zoomed out): a host's, segment's or network's name alone, large enough to read (legible())
  {
    selector: "node.overview",
    style: { label: (n: cytoscape.NodeSingular) => nameOf(n.id()), "font-size": "data(overview)" },
  },
  { selector: "node.unreadable", style: { "text-opacity": 0 } },
  { selector: ".issue-warning", style: { "border-color": "#f59f00", "border-width": 4 } },
  { selector: ".issue-error", style: { "border-color": "#e03131", "border-width": 4 } },
  { selector: "edge.result-ok", style: { "line-color": "#2f9e44", width: 4 } },
  { selector: "edge.result-bad", style: { "line-color": "#e03131", width: 5 } },
  { selector: ".highlight", style: { "overlay-color": "#fab005", "overlay-opacity": 0.35, "overlay-padding": 6 } },
  { selector: ".connect-from", style: { "overlay-color": "#7048e8", "overlay-opacity": 0.3, "overlay-padding": 6 } },
  { selector: ":selected", style: { "overlay-color": "#1c7ed6", "overlay-opacity": 0.25, "overlay-padding": 5 } },
];

export class Canvas {
  readonly cy: cytoscape.Core;
  /** While the user drags, a redraw (a validation answer arriving) must not put nodes back. */
  private dragging = false;
  /** True from a fit until the user takes the view (pans, zooms or clicks the drawing). */
  private fitted = false;
  /** The last click on the drawing (the element's id, "" for the background), the first of a double click. */
  private lastTap = { id: "", at: 0 };

  constructor(container: HTMLElement, events: CanvasEvents) {
    this.cy = cytoscape({
      container,
      style: STYLE,
      minZoom: 0.05,
      maxZoom: 4,
      selectionType: "single",
      boxSelectionEnabled: false,
      textureOnViewport: true,
    });
    // Cytoscape's own dbltap also fires for two quick taps on different elements; this one does not.
    this.cy.on("tap", (ev) => {
      const id = ev.target === this.cy ? null : (ev.target as cytoscape.SingularElementReturnValue).id();
      events.tap(id, ev.position);
      const now = performance.now();
      const last = this.lastTap;
      if (id && id === last.id && now - last.at < DOUBLE_CLICK_MS && ev.target.isNode()) events.rename(id);
      this.lastTap = { id: id ?? "", at: now };
    });
    // a key pressed between two clicks (a nudge, a tool) makes them two clicks: the letters typed
    // next must not land in a rename field
    document.addEventListener("keydown", () => this.forgetTap(), true);
    this.cy.on("tapstart scrollzoom", () => {
      this.fitted = false;
    });
    this.cy.on("zoom", () => this.legible());
    // the panel hidden or shown, the window or the class page's frame resized: a fitted view stays
    // fitted, and the automatic layout aims at the view's new shape (wide and short in the class page)
    this.aim();
    this.cy.on("resize", () => {
      this.aim();
      if (this.fitted) this.fit();
    });
    this.cy.on("grab", "node", () => {
      this.dragging = true;
    });
    this.cy.on("free", "node", () => {
      this.dragging = false;
    });
    this.cy.on("dragfree", "node", (ev) => {
      const node = ev.target as cytoscape.NodeSingular;
      const moved = node.isParent() ? node.descendants().filter((n) => !n.isParent()) : node;
      const positions: Record<string, Position> = {};
      moved.forEach((n) => {
        positions[n.id()] = { ...n.position() };
      });
      if (node.isParent() && moved.empty()) positions[node.id()] = { ...node.position() };
      events.moved(positions);
    });
  }

  /** Tells the automatic layout the shape of this view, without the room a fit keeps free. */
  private aim(): void {
    aimAt({ w: this.cy.width() - 2 * FIT_MARGIN, h: this.cy.height() - 2 * FIT_MARGIN });
  }

  /** Brings the drawing in line with `defs`: adds, removes and updates without rebuilding. */
  render(defs: ElementDef[], issues: Map<string, Issue[]>): void {
    const cy = this.cy;
    let added = new Set<string>();
    cy.batch(() => {
      added = this.update(defs, issues);
    });
    this.legible();
    // Labels grow when the site's answer brings IPAM's addresses: a fitted view stays fitted.
    if (this.fitted) this.fit();
    else if (added.size) this.show(cy.nodes().filter((n) => added.has(n.id()) && !n.isParent()));
  }

  /** Adds, removes and updates elements to match `defs`; returns the ids of the nodes it added. */
  private update(defs: ElementDef[], issues: Map<string, Issue[]>): Set<string> {
    const cy = this.cy;
    const added = new Set<string>();
    const wanted = new Set(defs.map((e) => e.data.id));
    cy.elements()
      .filter((e) => !wanted.has(e.id()))
      .remove();
    const ordered = [...defs.filter((e) => e.group === "nodes"), ...defs.filter((e) => e.group === "edges")];
    for (const def of ordered) {
      const severity = issues.get(def.data.id)?.some((i) => i.severity === "error")
        ? "issue-error"
        : issues.has(def.data.id)
          ? "issue-warning"
          : "";
      const classes = `${def.classes} ${severity}`.trim();
      const existing = cy.getElementById(def.data.id);
      if (existing.empty()) {
        cy.add({ ...def, classes } as cytoscape.ElementDefinition);
        if (def.group === "nodes") added.add(def.data.id);
        continue;
      }
      const own = ["id", "source", "target", "parent"];
      for (const [key, value] of Object.entries(def.data))
        if (!own.includes(key) && existing.data(key) !== value) existing.data(key, value);
      for (const key of Object.keys(existing.data()))
        if (!own.includes(key) && !(key in def.data)) existing.removeData(key);
      const keep = existing
        .classes()
        .filter((c) => c.startsWith("result-") || c === "highlight" || c === "connect-from");
      existing.classes([...classes.split(" "), ...keep].filter(Boolean));
      if (def.group === "nodes") {
        const parent = def.data.parent ?? null;
        if ((existing.data("parent") ?? null) !== parent) (existing as cytoscape.NodeSingular).move({ parent });
        const p = (existing as cytoscape.NodeSingular).position();
        if (
          def.position &&
          !this.dragging &&
          !existing.isParent() &&
          (p.x !== def.position.x || p.y !== def.position.y)
        ) {
          (existing as cytoscape.NodeSingular).position(def.position);
        }
      }
    }
    return added;
  }

  /** Hides the labels this zoom would draw smaller than READABLE_PX and shows the others again; zoomed
   * out, the names of hosts, segments and networks are drawn alone and larger instead (overview). */
  private legible(): void {
    const zoom = this.cy.zoom();
    this.cy.batch(() => this.overview(zoom));
    const flip = this.cy
      .nodes()
      .filter((n) => n.hasClass("unreadable") !== n.numericStyle("font-size") * zoom < READABLE_PX - 0.01);
    if (flip.nonempty())
      this.cy.batch(() => {
        flip.toggleClass("unreadable");
      });
  }

  /** No click before this one is the first of a double click. */
  private forgetTap(): void {
    this.lastTap = { id: "", at: 0 };
  }

  /** Selects `id` (null: nothing); selecting another element than the one last clicked ends a double click. */
  /**
   * The overview: where this zoom draws a host's, segment's or network's label smaller than READABLE_PX,
   * its name alone is drawn at READABLE_PX instead, if it fits within the element's own width (a host's
   * box, a segment's bar, a network's box), so the names stay apart and the user sees where things are.
   */
  private overview(zoom: number): void {
    this.cy.nodes(".host, .segment, .network").forEach((n) => {
      const base = n.hasClass("host") ? HOST_FONT : SMALL_FONT;
      const font = (READABLE_PX + 0.1) / zoom;
      const room = n.boundingBox({ includeLabels: false, includeOverlays: false }).w;
      const on = base * zoom < READABLE_PX && textSize(nameOf(n.id()), font * BOLD).w <= room;
      if (on && n.data("overview") !== font) n.data("overview", font);
      if (on !== n.hasClass("overview")) n.toggleClass("overview", on);
    });
  }

  select(id: string | null): void {
    if (id !== this.lastTap.id) this.forgetTap();
    this.cy.$(":selected").unselect();
    if (id) this.cy.getElementById(id).select();
  }

  /** Brings `nodes` into view (Redo or Undo brought back what the user had panned away from): the
   * least pan that shows them, or a fit of everything when they do not fit at this zoom. */
  private show(nodes: cytoscape.NodeCollection): void {
    if (nodes.empty()) return;
    const b = nodes.renderedBoundingBox({ includeOverlays: false });
    const [w, h] = [this.cy.width() - 2 * FIT_MARGIN, this.cy.height() - 2 * FIT_MARGIN];
    if (b.w > w || b.h > h) return this.fit();
    const dx = b.x1 < FIT_MARGIN ? FIT_MARGIN - b.x1 : b.x2 > FIT_MARGIN + w ? FIT_MARGIN + w - b.x2 : 0;
    const dy = b.y1 < FIT_MARGIN ? FIT_MARGIN - b.y1 : b.y2 > FIT_MARGIN + h ? FIT_MARGIN + h - b.y2 : 0;
    if (dx || dy) this.cy.panBy({ x: dx, y: dy });
  }

  /** Pans to an element and zooms in enough to read it: centred, or from its top left (where a host's
   * name is) when it is larger than the view. */
  reveal(id: string): void {
    const cy = this.cy;
    const el = cy.getElementById(id);
    if (el.empty()) return;
    this.fitted = false;
    const zoom = Math.max(cy.zoom(), 1);
    cy.animate({ zoom, pan: this.panTo(el.boundingBox({ includeOverlays: false }), zoom) }, { duration: 200 });
  }

  /**
   * Fits the drawing in the view, and keeps it fitted as it changes until the user pans, zooms or
   * clicks it. A drawing too large to read whole is shown at the least readable zoom instead, from
   * its start (top left) or around the selection; the user pans or zooms out from there (zoomed out,
   * the small labels give way, see READABLE_PX).
   */
  fit(): void {
    const cy = this.cy;
    this.fitted = true;
    // Zoomed straight to the least readable zoom when the whole drawing would be smaller: a fit first
    // would zoom out and back (each zoom restyles every label, see legible(): 0.3 s at 500 containers).
    const box = cy.elements().boundingBox(); // as cy.fit measures it
    const whole = Math.min((cy.width() - 2 * FIT_MARGIN) / box.w, (cy.height() - 2 * FIT_MARGIN) / box.h);
    if (!(whole > 0 && whole < READABLE_ZOOM)) {
      cy.fit(undefined, FIT_MARGIN);
      if (cy.zoom() >= READABLE_ZOOM || cy.elements().empty()) return;
    }
    const selected = cy.$(":selected");
    cy.zoom(READABLE_ZOOM);
    if (selected.nonempty()) {
      cy.center(selected);
      return;
    }
    cy.pan(this.panTo(cy.elements().boundingBox({ includeOverlays: false }), READABLE_ZOOM));
  }

  /** The pan that shows `box` (drawing units) at `zoom`: centred along a side where it fits, else from its start. */
  private panTo(box: cytoscape.BoundingBox12 & cytoscape.BoundingBoxWH, zoom: number): Position {
    const at = (lo: number, size: number, view: number) =>
      size * zoom <= view - 2 * FIT_MARGIN ? (view - size * zoom) / 2 - lo * zoom : FIT_MARGIN - lo * zoom;
    return { x: at(box.x1, box.w, this.cy.width()), y: at(box.y1, box.h, this.cy.height()) };
  }

  /** The nearest point to `p` where a new element of about `size` (screen pixels) is fully in view. */
  inView(p: Position, size = 120): Position {
    const e = this.cy.extent();
    const m = (FIT_MARGIN + size / 2) / this.cy.zoom();
    const clamp = (v: number, lo: number, hi: number) => (lo > hi ? (lo + hi) / 2 : Math.min(Math.max(v, lo), hi));
    return { x: clamp(p.x, e.x1 + m, e.x2 - m), y: clamp(p.y, e.y1 + m, e.y2 - m) };
  }

  /** Marks the element a connection starts from (null clears it). */
  connectFrom(id: string | null): void {
    this.cy.$(".connect-from").removeClass("connect-from");
    if (id) this.cy.getElementById(id).addClass("connect-from");
  }

  /** Marks elements, and the links between them (a host counts for its NICs), e.g. a pair's path. */
  highlight(ids: string[]): void {
    this.cy.$(".highlight").removeClass("highlight");
    const marked = new Set(ids);
    const on = (n: cytoscape.NodeSingular) =>
      marked.has(n.id()) || (n.isChild() && marked.has(n.parent().first().id()));
    for (const id of ids) this.cy.getElementById(id).addClass("highlight");
    if (ids.length)
      this.cy
        .edges()
        .filter((e) => on(e.source()) && on(e.target()))
        .addClass("highlight");
  }

  /** Colours edges by deployment result: ids → "ok" / "bad"; everything else back to normal. */
  results(states: Map<string, "ok" | "bad">): void {
    this.cy.batch(() => {
      this.cy.edges().removeClass("result-ok result-bad");
      for (const [id, state] of states) this.cy.getElementById(id).addClass(`result-${state}`);
    });
  }

  /** Element ids whose name contains `text`, in drawing order. */
  find(text: string): string[] {
    const q = text.trim().toLowerCase();
    if (!q) return [];
    return this.cy
      .nodes()
      .filter((n) => n.id().toLowerCase().split(".").slice(1).join(".").includes(q))
      .map((n) => n.id());
  }

  viewportCenter(): Position {
    const e = this.cy.extent();
    return { x: (e.x1 + e.x2) / 2, y: (e.y1 + e.y2) / 2 };
  }
}
