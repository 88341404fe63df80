/**
 * How the reachability matrix reads: the mark and words of each cell (the prediction stays
 * visible before any probe), the summary line, and moving between cells with the keyboard.
 */
import { type CellState, type Matrix, type Pair, type Reason, cellState } from "./matrix";

/** The mark in a cell: before a probe, the prediction (○ reachable, ⊘ blocked); then what was seen. */
export function cellMark(p: Pair): string {
  const marks: Record<CellState, string> = {
    pending: p.expected ? "○" : "⊘",
    reached: "✓",
    blocked: "✗",
    missing: "✗!",
    unexpected: "✓!",
  };
  return marks[cellState(p)];
}

/** The cell in words (its accessible name and tooltip): the pair, the prediction, the observation, why. */
export function cellWords(p: Pair, why: string): string {
  const observed =
    p.observed === null
      ? "not probed yet"
      : p.observed
        ? `reached${p.rtt_ms != null ? `, rtt ${p.rtt_ms.toFixed(2)} ms` : ""}${p.ttl != null ? `, TTL ${p.ttl}` : ""}`
        : "not reached";
  const state = cellState(p);
  const verdict = state === "missing" || state === "unexpected" ? " — not as predicted" : "";
  return `${p.src} → ${p.dst} ${p.dst_ip}: predicted ${p.expected ? "reachable" : "blocked"}; observed: ${observed}${verdict}. ${why}`;
}

/**
 * The way the request goes, from the server's path: `d1 → host3 (enp0s8.100 → enp0s8.200) → d4`;
 * where it stops: `d1 → r1 (in eth0) ✗`, `d1 ✗` when it never leaves, `…, the reply ✗` when the
 * request arrives and its reply is lost.
 */
export function pathWords(p: Pair, r: Reason): string {
  const hops = r.path.map((h) => (h.oif === null ? `${h.node} (in ${h.iif})` : `${h.node} (${h.iif} → ${h.oif})`));
  const replyLost = r.rule.startsWith("reply-");
  const arrived = r.path.at(-1)?.oif !== null && (p.expected || replyLost);
  const way = [p.src, ...hops, ...(arrived ? [p.dst] : [])].join(" → ");
  return p.expected ? way : replyLost ? `${way}, the reply ✗` : `${way} ✗`;
}

/** Why the pair goes through or not, in the server's words, with its path. */
export function reasonWords(m: Matrix, p: Pair): string {
  const r = m.why(p);
  return r ? `${r.text} (${r.rule}). Path: ${pathWords(p, r)}` : "No reason predicted for this pair.";
}

/** What the drawing highlights for a pair: its endpoints and the forwarders and networks on its way. */
export function reasonParts(m: Matrix, p: Pair): { endpoints: string[]; networks: string[] } {
  const r = m.why(p);
  return { endpoints: [p.src, ...(r?.path ?? []).map((h) => h.node), p.dst], networks: r?.networks ?? [] };
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
  return (
    `${predicted} · probed: ${c.reached} reached and ${c.blocked} blocked as predicted · ` +
    `${bad} mismatch${bad === 1 ? "" : "es"} · ${c.pending} pending`
  );
}

export const LEGEND =
  "○ predicted reachable · ⊘ predicted blocked · ✓ reached · ✗ blocked (as predicted) · " +
  "✓! ✗! not as predicted. Tab into the matrix, arrows move; the reason shows below.";

const STEPS: Record<string, [number, number]> = {
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  Home: [0, -1e9],
  End: [0, 1e9],
};

/**
 * One tab stop for the whole grid (roving tabindex): arrow keys, Home and End move between the
 * cells that have a pair (stepping over those without); `focused` tells which one has the keyboard.
 * `had`: the cell that had the keyboard in the table this one replaces (a redraw keeps it there).
 */
export function keyboardGrid(
  table: HTMLTableElement,
  focused: (td: HTMLTableCellElement) => void,
  had: { src: string; dstIp: string } | null = null,
): void {
  const rows = [...table.rows].slice(1).map((r) => [...r.cells].slice(1));
  const cells = rows.flat().filter((td) => td.dataset.state);
  const kept = had ? cells.find((td) => td.dataset.src === had.src && td.dataset.dstIp === had.dstIp) : undefined;
  cells.forEach((td, i) => {
    td.tabIndex = (kept ? td === kept : i === 0) ? 0 : -1;
  });
  /** The first cell with a pair from (r, c) on, going (dr, dc); Home and End jump to the row's far end. */
  const find = (r: number, c: number, [dr, dc]: [number, number]): HTMLTableCellElement | undefined => {
    if (Math.abs(dc) > 1) return (dc < 0 ? rows[r] : [...rows[r]].reverse()).find((td) => td.dataset.state);
    for (let i = r + dr, j = c + dc; rows[i]?.[j]; i += dr, j += dc) if (rows[i][j].dataset.state) return rows[i][j];
    return undefined;
  };
  table.addEventListener("focusin", (ev) => {
    const td = (ev.target as HTMLElement).closest("td");
    if (td?.dataset.state) focused(td);
  });
  table.addEventListener("keydown", (ev) => {
    const td = (ev.target as HTMLElement).closest("td");
    const step = STEPS[ev.key];
    if (!td || !step) return;
    ev.preventDefault();
    ev.stopPropagation(); // the editor's arrow keys move the selected drawing element
    const r = rows.findIndex((row) => row.includes(td));
    const to = find(r, rows[r].indexOf(td), step);
    if (!to) return;
    for (const cell of cells) cell.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  });
  if (kept) queueMicrotask(() => kept.focus()); // once the table is in the page
}
