/**
 * The reachability matrix view: summary, legend, mismatches, the filtered table of cells; hovering
 * or focusing a pair says why it goes through or not and highlights its way in the drawing.
 */
import { clear, h } from "../dom";
import { type Matrix, type Pair, type ProbeEvent, cellState, pairKey } from "../matrix";
import { LEGEND, cellMark, cellWords, keyboardGrid, reasonParts, reasonWords, summaryText } from "../matrixview";
import type { Design } from "../model";
import { attachmentResults, endpointId } from "./drawing";
import { drawMismatches } from "./mismatches";

const MAX_AXIS = 40;

/** What the view asks of the editor around it. */
export interface MatrixHost {
  design(): Design;
  highlight(ids: string[]): void;
  results(states: Map<string, "ok" | "bad">): void;
}

export class MatrixPanel {
  private readonly summary = h("div", { class: "summary", id: "matrix-summary" });
  private readonly why = h(
    "div",
    { class: "why", id: "matrix-why", "aria-live": "polite" },
    "Hover or focus a cell to see why a pair is reachable or not.",
  );
  private readonly tableBox = h("div", { class: "matrix-box" });
  private readonly mismatches = h("ul", { class: "issues mismatches", id: "mismatches" });
  /** The view's elements, in page order. */
  readonly parts: HTMLElement[];
  private readonly cells = new Map<string, HTMLTableCellElement>();
  private filter = "";
  private redrawQueued = false;

  /** `matrix` answers the matrix to show now (the deploy panel's current one). */
  constructor(
    private readonly app: MatrixHost,
    private readonly matrix: () => Matrix,
  ) {
    const filter = h("input", { type: "search", placeholder: "filter endpoints", class: "matrix-filter" });
    filter.addEventListener("input", () => {
      this.filter = filter.value.trim();
      this.draw();
    });
    this.parts = [
      this.summary,
      h("p", { class: "hint", id: "matrix-legend" }, LEGEND),
      this.mismatches,
      this.why,
      filter,
      this.tableBox,
    ];
  }

  /** A probe came in: its cell is painted, or the table redrawn (once a frame) for a pair it lacked. */
  probed(ev: ProbeEvent): void {
    const known = this.cells.has(pairKey(ev.src, ev.dst_ip));
    this.paintCell(this.matrix().get(ev.src, ev.dst_ip)!);
    if (ev.observed !== ev.expected) this.drawMismatches();
    if (!known) this.queueRedraw();
    else this.drawSummary();
    this.colourDrawing();
  }

  draw(): void {
    const matrix = this.matrix();
    this.drawSummary();
    this.drawMismatches();
    this.cells.clear();
    const had = this.tableBox.querySelector<HTMLTableCellElement>("td:focus")?.dataset;
    clear(this.tableBox);
    const match = (name: string) => !this.filter || name.includes(this.filter);
    const rows = [...matrix.endpoints.keys()].filter(match);
    const cols = matrix.columns().filter((c) => match(c.dst));
    if (!rows.length) return;
    const table = h("table", { class: "matrix", id: "matrix" });
    table.append(
      h(
        "tr",
        {},
        h("th", {}, "from \\ to"),
        ...cols
          .slice(0, MAX_AXIS)
          .map((c) => h("th", { class: "col", title: c.dst_ip }, h("span", {}, `${c.dst} ${c.dst_ip}`))),
      ),
    );
    for (const src of rows.slice(0, MAX_AXIS)) {
      const tr = h("tr", {}, h("th", {}, src));
      for (const c of cols.slice(0, MAX_AXIS)) {
        const td = h("td", { "data-src": src, "data-dst-ip": c.dst_ip });
        const pair = matrix.get(src, c.dst_ip);
        if (pair) {
          this.cells.set(pairKey(src, c.dst_ip), td);
          this.paintCell(pair);
          td.addEventListener("mouseenter", () => this.showWhy(this.matrix().get(src, c.dst_ip)!));
          td.addEventListener("mouseleave", () => this.app.highlight([]));
          td.addEventListener("blur", () => this.app.highlight([]));
        } else td.className = "none";
        tr.append(td);
      }
      table.append(tr);
    }
    keyboardGrid(
      table,
      (td) => this.showWhy(this.matrix().get(td.dataset.src!, td.dataset.dstIp!)!),
      had ? { src: had.src!, dstIp: had.dstIp! } : null,
    );
    this.tableBox.append(table);
    if (rows.length > MAX_AXIS || cols.length > MAX_AXIS) {
      this.tableBox.append(
        h(
          "p",
          { class: "help" },
          `Showing ${Math.min(rows.length, MAX_AXIS)} of ${rows.length} sources and ` +
            `${Math.min(cols.length, MAX_AXIS)} of ${cols.length} addresses: type a name to filter.`,
        ),
      );
    }
    this.colourDrawing();
  }

  private queueRedraw(): void {
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    requestAnimationFrame(() => {
      this.redrawQueued = false;
      this.draw();
    });
  }

  private drawSummary(): void {
    const c = this.matrix().counts();
    this.summary.className = `summary ${c.missing + c.unexpected ? "bad" : ""}`;
    this.summary.textContent = summaryText(this.matrix());
  }

  private drawMismatches(): void {
    drawMismatches(this.mismatches, this.matrix(), (p) => this.showWhy(p));
  }

  private paintCell(pair: Pair): void {
    const td = this.cells.get(pairKey(pair.src, pair.dst_ip));
    if (!td) return;
    const state = cellState(pair);
    td.className = `cell ${state} ${pair.expected ? "expect-reach" : "expect-block"}`;
    td.dataset.state = state;
    td.textContent = cellMark(pair);
    td.title = cellWords(pair, reasonWords(this.matrix(), pair));
    td.setAttribute("aria-label", td.title);
  }

  private showWhy(pair: Pair): void {
    const d = this.app.design();
    const observed =
      pair.observed === null
        ? ""
        : pair.observed
          ? ` — observed: reached${pair.ttl != null ? `, TTL ${pair.ttl}` : ""}${pair.rtt_ms != null ? `, ${pair.rtt_ms.toFixed(2)} ms` : ""}`
          : " — observed: not reached";
    this.why.textContent = `${pair.src} → ${pair.dst} (${pair.dst_ip}): ${pair.expected ? "expected reachable" : "expected unreachable"}; ${reasonWords(this.matrix(), pair)}${observed}`;
    const parts = reasonParts(this.matrix(), pair);
    this.app.highlight([
      ...parts.endpoints.map((n) => endpointId(d, n)),
      ...parts.networks.map((n) => `networks.${n}`),
    ]);
  }

  private colourDrawing(): void {
    this.app.results(attachmentResults(this.app.design(), this.matrix()));
  }
}
