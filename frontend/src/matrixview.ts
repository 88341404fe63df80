/**
 * How the reachability matrix reads: the mark and words of each cell (the prediction stays
 * visible before any probe), the summary line, and moving between cells with the keyboard.
 */
import { type CellState, type Matrix, type Pair, cellState } from "./matrix";

/** The mark in a cell: before a probe, the prediction (○ reachable, ⊘ blocked); then what was seen. */
export function cellMark(p: Pair): string {
  const marks: Record<CellState, string> = {
    pending: p.expected ? "○" : "⊘", reached: "✓", blocked: "✗", missing: "✗!", unexpected: "✓!",
  };
  return marks[cellState(p)];
}

/** The cell in words (its accessible name and tooltip): the pair, the prediction, the observation, why. */
export function cellWords(p: Pair, why: string): string {
  const observed = p.observed === null ? "not probed yet" : p.observed
    ? `reached${p.rtt_ms != null ? `, rtt ${p.rtt_ms.toFixed(2)} ms` : ""}${p.ttl != null ? `, TTL ${p.ttl}` : ""}`
    : "not reached";
  const state = cellState(p);
  const verdict = state === "missing" || state === "unexpected" ? " — not as predicted" : "";
  return `${p.src} → ${p.dst} ${p.dst_ip}: predicted ${p.expected ? "reachable" : "blocked"}; observed: ${observed}${verdict}. ${why}`;
}

/** The summary: what the design predicts, then (once probes came) how many behaved so. */
export function summaryText(m: Matrix): string {
  if (!m.pairs.size) return "Predict or deploy to fill the matrix.";
  const pairs = [...m.pairs.values()];
  const reach = pairs.filter((p) => p.expected).length;
  const predicted = `Predicted: ${reach} pair${reach === 1 ? "" : "s"} reachable, ${pairs.length - reach} blocked`;
  const c = m.counts();
  if (c.pending === pairs.length) return `${predicted} · not probed yet (deploy to check)`;
  const bad = c.missing + c.unexpected;
  return `${predicted} · probed: ${c.reached} reached and ${c.blocked} blocked as predicted · ` +
    `${bad} mismatch${bad === 1 ? "" : "es"} · ${c.pending} pending`;
}

export const LEGEND = "○ predicted reachable · ⊘ predicted blocked · ✓ reached · ✗ blocked (as predicted) · " +
  "✓! ✗! not as predicted. Tab into the matrix, arrows move; the reason shows below.";

/**
 * One tab stop for the whole grid (roving tabindex): arrow keys, Home and End move between the
 * cells that have a pair; `focused` tells which one has the keyboard.
 */
export function keyboardGrid(table: HTMLTableElement, focused: (td: HTMLTableCellElement) => void): void {
  const rows = [...table.rows].slice(1).map((r) => [...r.cells].slice(1));
  const cells = rows.flat().filter((td) => td.dataset.state);
  cells.forEach((td, i) => { td.tabIndex = i === 0 ? 0 : -1; });
  const move = (to: HTMLTableCellElement | undefined) => {
    if (!to?.dataset.state) return;
    for (const td of cells) td.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  };
  table.addEventListener("focusin", (ev) => {
    const td = (ev.target as HTMLElement).closest("td");
    if (td?.dataset.state) focused(td);
  });
  table.addEventListener("keydown", (ev) => {
    const td = (ev.target as HTMLElement).closest("td");
    if (!td) return;
    const r = rows.findIndex((row) => row.includes(td));
    const c = rows[r]?.indexOf(td) ?? -1;
    const targets: Record<string, HTMLTableCellElement | undefined> = {
      ArrowLeft: rows[r]?.[c - 1], ArrowRight: rows[r]?.[c + 1], ArrowUp: rows[r - 1]?.[c], ArrowDown: rows[r + 1]?.[c],
      Home: rows[r]?.[0], End: rows[r]?.[rows[r].length - 1],
    };
    if (!(ev.key in targets)) return;
    ev.preventDefault();
    ev.stopPropagation();  // the editor's arrow keys move the selected drawing element
    move(targets[ev.key]);
  });
}
