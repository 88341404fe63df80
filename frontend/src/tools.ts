/**
 * The editor's mode machine: idle, placing an element (a toolbar button or H I S N C R, then a click
 * or Enter), or connecting two (Connect, or L on one then L on the other).
 */
import type { Editor } from "./editor";
import {
  type Kind,
  type Position,
  type Ref,
  addEndpoint,
  addHost,
  addNetwork,
  addNic,
  addSegment,
  connect,
  move,
  parseId,
  refId,
} from "./model";
import { freeSpot } from "./placing";
import type { Toolbar } from "./toolbar";

export type Mode = { kind: "idle" } | { kind: "place"; what: Kind } | { kind: "connect"; from: string | null };

export class Tools {
  mode: Mode = { kind: "idle" };
  /** Shift was held on the last press on the drawing: placing keeps the tool armed for the next one. */
  keepTool = false;

  constructor(
    private readonly editor: Editor,
    private readonly toolbar: Toolbar,
    private readonly canvasBox: HTMLElement,
  ) {
    canvasBox.addEventListener(
      "pointerdown",
      (ev) => {
        this.keepTool = ev.shiftKey;
      },
      true,
    );
  }

  setMode(mode: Mode): void {
    this.mode = mode;
    this.editor.canvas.connectFrom(null);
    this.toolbar.mode(mode);
    this.canvasBox.dataset.mode = mode.kind;
    if (mode.kind === "place") {
      const inside = ["nics", "containers", "routers"].includes(mode.what) ? " inside a host" : "";
      this.editor.status(
        `click on the drawing${inside} to place the ${mode.what.slice(0, -1)}, or press Enter to put it beside the selection; hold Shift to place several (Esc cancels)`,
      );
    } else if (mode.kind === "connect") {
      this.editor.status(
        "connect: click a NIC then a segment, a container or router then a network, or a network then its parent NIC (Esc ends)",
      );
    }
  }

  /** The toolbar's add buttons: arm the tool, or disarm it when armed. */
  toggleTool(what: Kind): void {
    this.setMode(this.mode.kind === "place" && this.mode.what === what ? { kind: "idle" } : { kind: "place", what });
  }

  toggleConnect(): void {
    this.setMode(this.mode.kind === "connect" ? { kind: "idle" } : { kind: "connect", from: null });
  }

  /** A click on the drawing (`id`: what was clicked, null: the background): place, connect, or select. */
  tap(id: string | null, at: Position): void {
    const editor = this.editor;
    const mode = this.mode;
    if (mode.kind === "place") {
      const kind = mode.what;
      const host = this.hostOf(id) ?? this.hostOf(editor.selection);
      const inHost = ["nics", "containers", "routers"].includes(kind);
      const spot = host && inHost ? freeSpot(editor.canvas.cy, host, kind.slice(0, -1), at) : at;
      const pos = { x: Math.round(spot.x), y: Math.round(spot.y) };
      if (!host && inHost) {
        // the tool stays on: the next click inside a host places it
        const what = kind.slice(0, -1);
        const hint = Object.keys(editor.design.hosts).length
          ? "click inside a host's box"
          : "add a host first (+ Host, or H)";
        return editor.status(`a ${what} lives in a host: ${hint} to place the ${what} (Esc cancels)`, true);
      }
      if (!this.keepTool) this.setMode({ kind: "idle" });
      let made: Ref | null = null;
      editor.edit((d) => {
        if (kind === "hosts") made = addHost(d, pos);
        else if (kind === "segments") made = addSegment(d, pos);
        else if (kind === "networks") made = addNetwork(d, pos);
        else if (!host) throw new Error(`click inside a host to place the ${kind.slice(0, -1)}`);
        else if (kind === "nics") {
          made = addNic(d, host);
          move(d, `nics.${host}.${made.name}`, pos);
        } else made = addEndpoint(d, kind as "containers" | "routers", host, pos);
      });
      if (made) this.named(made);
      return;
    }
    if (mode.kind === "connect" && id && !id.includes(":")) {
      if (!mode.from) {
        this.mode = { kind: "connect", from: id };
        editor.canvas.connectFrom(id);
        return;
      }
      const from = mode.from;
      this.mode = { kind: "connect", from: null };
      editor.canvas.connectFrom(null);
      let said = "";
      editor.edit((d) => {
        said = connect(d, parseId(from), parseId(id));
      });
      if (said) editor.status(said);
      return;
    }
    editor.select(id);
  }

  /** The host an element is in (a host is its own), else null. */
  private hostOf(id: string | null): string | null {
    if (!id || id.includes(":")) return null;
    const ref = parseId(id);
    if (ref.kind === "hosts") return ref.name;
    if (ref.kind === "nics") return ref.host!;
    if (ref.kind === "containers" || ref.kind === "routers")
      return this.editor.design[ref.kind][ref.name]?.host ?? null;
    return null;
  }

  /** A new element is selected with its name field ready: typing names it, Enter or Esc goes back to the drawing. */
  private named(made: Ref): void {
    this.editor.select(refId(made));
    this.editor.rename();
    const what = `${made.kind.slice(0, -1)} ${made.name}`;
    const more = this.mode.kind === "place" ? `; the tool stays on (Shift was held), Esc ends it` : "";
    this.editor.status(`added ${what}: type its name and press Enter, or Esc to keep ${made.name}${more}`);
  }

  /** Keyboard connecting: L on one element, select another (search), L again. */
  connectSelected(): void {
    const id = this.editor.selection;
    if (!id || id.includes(":")) return this.editor.status("select an element first, then press L", true);
    if (this.mode.kind === "connect" && this.mode.from && this.mode.from !== id) {
      this.tap(id, { x: 0, y: 0 });
      this.setMode({ kind: "idle" });
      return;
    }
    this.setMode({ kind: "connect", from: id });
    this.editor.canvas.connectFrom(id);
    this.editor.status(`connecting ${id}: select the other element (Ctrl-F to find it), then press L`);
  }

  /** Enter while placing: the element goes beside the selected node, else the middle of the view. */
  placeBesideSelection(keepTool: boolean): void {
    this.keepTool = keepTool;
    const canvas = this.editor.canvas;
    const selected = this.editor.selection;
    const node = selected && !selected.includes(":") ? canvas.cy.getElementById(selected) : null;
    if (!node || node.empty()) return this.tap(null, canvas.viewportCenter());
    const box = node.boundingBox({});
    this.tap(null, canvas.inView({ x: box.x2 + 60, y: (box.y1 + box.y2) / 2 }));
  }
}
