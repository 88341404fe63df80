/**
 * Automatic places for what a design's `layout` does not place, in layers: segments on top, hosts
 * in a grid below them (each host's containers and routers in one row or two, its NICs at the right end),
 * networks at the bottom. Nodes are sized to their labels, so spacing by size keeps labels apart;
 * segments and networks sit near what they connect (barycentre order), which keeps lines short.
 */
import type { Design, Position } from "./model";
import { refId } from "./model";

export interface Size {
  w: number;
  h: number;
}

/** Average glyph width and line height of the drawing's sans-serif font, per pixel of font size. */
const CHAR_W = 0.58;
const LINE_H = 1.3;
/** Cytoscape's padding of a host's box, the gap between nodes in a row, and between hosts. */
export const HOST_PAD = 22;
export const GAP = 30;
export const HOST_GAP = 50;
/** Height of the band above a host's box that holds its name. */
export const HOST_LABEL = 26;
/** Room between host rows (the lines led around hosts run there), and between the hosts and the segments above. */
const ROW_GAP = 60;
const SEGMENT_GAP = 120;
/** The shape the host grid is laid out to fit (only its ratio counts): the drawing's own view, which
 * the canvas says (aimAt) as its box changes; until then the editor's at 1024×768 beside its side panel.
 * A module setting, so the editor's calls of elements() need not carry it. */
let view: Size = { w: 700, h: 640 };

/** The drawing is shown in a view of this size (screen pixels, without the fit's margins): the next
 * layout aims at its shape. A view too small to be shown (a hidden frame) is ignored. */
export function aimAt(shape: Size): void {
  if (shape.w >= 100 && shape.h >= 100) view = { ...shape };
}
/** Each network gets its own level of horizontal lines ("bus") this far apart, above it. */
export const BUS_STEP = 8;
export const BUS_CLEAR = 18;

/** The box a label of `fontSize` pixels takes (estimated: the layout runs without a browser). */
export function textSize(label: string, fontSize: number): Size {
  const lines = label.split("\n");
  return {
    w: Math.ceil(Math.max(...lines.map((l) => [...l].length)) * fontSize * CHAR_W),
    h: Math.ceil(lines.length * fontSize * LINE_H),
  };
}

/** A node's own size for its kind and label; the label is drawn inside (segments: above the bar). */
export function nodeSize(kind: string, label: string): Size {
  const t = textSize(label, 10);
  if (kind === "nic") return { w: Math.max(34, t.w + 10), h: Math.max(16, t.h + 6) };
  if (kind === "container") return { w: Math.max(46, t.w + 10), h: Math.max(30, t.h + 10) };
  if (kind === "router") return { w: Math.max(56, t.w + 34), h: Math.max(40, t.h + 16) };
  if (kind === "network") return { w: Math.max(150, t.w + 20), h: Math.max(56, t.h + 14) };
  if (kind === "segment") return { w: Math.max(180, t.w), h: 14 };
  return { w: t.w, h: t.h };
}

/** The width a host's box needs so that its name (top left) stays clear of its NICs (top right). */
export function hostMinWidth(nameWidth: number, nicWidths: number[]): number {
  return nameWidth + GAP + nicWidths.reduce((a, w) => a + w, 0) + GAP * (nicWidths.length - 1);
}

/** Places the items along a line, each as near its wish as the ones before it allow (sorted by wish),
 * then the row as a whole back by as much as it drifted (on average) from the wishes. */
function spread(wishes: { id: string; x: number; w: number }[], y: number, out: Record<string, Position>): void {
  let right = -Infinity;
  const placed: { id: string; x: number }[] = [];
  for (const it of [...wishes].sort((a, b) => a.x - b.x || a.id.localeCompare(b.id))) {
    const x = Math.max(it.x, right + GAP + it.w / 2);
    placed.push({ id: it.id, x });
    right = x + it.w / 2;
  }
  const drift =
    placed.reduce((a, p) => a + p.x, 0) / (placed.length || 1) -
    wishes.reduce((a, it) => a + it.x, 0) / (wishes.length || 1);
  for (const p of placed) out[p.id] = { x: Math.round(p.x - drift), y: Math.round(y) };
}

/** A host with this many containers and routers or more may hold them in two rows. */
const TWO_ROWS_FROM = 4;

/**
 * Where a host's children go inside its box: x from the left of its content, and row 0 or 1.
 * One row: endpoints (containers, routers) then NICs. Two rows: the endpoints in cells as wide as the
 * widest, the lower row half a cell to the left, so the lines of the upper row drop between the
 * lower row's endpoints; the NICs end the upper row, right of the lower one, their lines clear too.
 */
function hostRows(
  ends: string[],
  nics: string[],
  size: (id: string) => Size,
  twoRows: boolean,
): { at: Map<string, { x: number; row: number }>; width: number } {
  const at = new Map<string, { x: number; row: number }>();
  let right = 0;
  const put = (id: string, x: number, row: number) => {
    at.set(id, { x, row });
    right = Math.max(right, x + size(id).w / 2);
  };
  let x = 0;
  if (twoRows && ends.length >= TWO_ROWS_FROM) {
    const cell = Math.max(...ends.map((id) => size(id).w)) + GAP;
    const upper = Math.ceil(ends.length / 2);
    ends.forEach((id, i) => {
      if (i < upper) put(id, cell * (i + 1), 0);
      else put(id, cell * (i - upper + 0.5), 1);
    });
    x = cell * upper + size(ends[upper - 1]).w / 2 + GAP;
    const left = Math.min(...[...at].map(([id, p]) => p.x - size(id).w / 2));
    for (const p of at.values()) p.x -= left;
    x -= left;
    right -= left;
  } else {
    for (const id of ends) {
      put(id, x + size(id).w / 2, 0);
      x += size(id).w + GAP;
    }
  }
  for (const id of nics) {
    put(id, x + size(id).w / 2, 0);
    x += size(id).w + GAP;
  }
  return { at, width: right };
}

/**
 * A place for every element of `d`; `size` gives each element's drawn size by id (hosts: the
 * size of their name). `networkNeighbours` says which elements each network joins. Of the ways
 * to lay it out (hosts' endpoints in one row or two, how many host columns), the one that fits a
 * view of the drawing's shape (aimAt) at the largest zoom.
 */
export function layered(
  d: Design,
  size: (id: string) => Size,
  networkNeighbours: (net: string) => string[],
): Record<string, Position> {
  const best = [false, true]
    .map((twoRows) => layeredWith(d, size, networkNeighbours, twoRows))
    .reduce((a, b) => (b.scale > a.scale ? b : a));
  return best.out;
}

function layeredWith(
  d: Design,
  size: (id: string) => Size,
  networkNeighbours: (net: string) => string[],
  twoRows: boolean,
): { out: Record<string, Position>; scale: number } {
  const out: Record<string, Position> = {};
  const hosts = Object.keys(d.hosts);
  const ends = new Map(hosts.map((h) => [h, [] as string[]]));
  for (const kind of ["containers", "routers"] as const) {
    for (const [name, e] of Object.entries(d[kind])) ends.get(e.host)?.push(`${kind}.${name}`);
  }
  const nicIds = (h: string) => d.hosts[h].nics.map((n) => refId({ kind: "nics", host: h, name: n }));
  const rows = new Map(hosts.map((h) => [h, hostRows(ends.get(h)!, nicIds(h), size, twoRows)]));
  const inner = new Map(
    hosts.map((h) => [
      h,
      Math.max(
        rows.get(h)!.width,
        hostMinWidth(
          size(`hosts.${h}`).w,
          nicIds(h).map((id) => size(id).w),
        ),
      ),
    ]),
  );
  const rowH = Math.max(30, ...hosts.flatMap((h) => [...ends.get(h)!, ...nicIds(h)]).map((id) => size(id).h));
  // the height of the hosts' content: one row, or two a little apart
  const lowerY = rowH + GAP / 2;
  const contentH = [...rows.values()].some((r) => [...r.at.values()].some((p) => p.row === 1)) ? lowerY + rowH : rowH;
  const cellH = contentH + 2 * HOST_PAD + HOST_LABEL + ROW_GAP;
  const nets = Object.keys(d.networks);
  const netH = Math.max(56, ...nets.map((n) => size(`networks.${n}`).h));
  const netsW = nets.reduce((a, n) => a + size(`networks.${n}`).w + GAP, -GAP);
  // Each column as wide as its widest host.
  const widths = (cols: number) => {
    const w = new Array<number>(cols).fill(0);
    hosts.forEach((h, i) => {
      w[i % cols] = Math.max(w[i % cols], inner.get(h)!);
    });
    return w.map((x) => x + 2 * HOST_PAD + HOST_GAP);
  };
  // As many columns as make the drawing fit a view of the drawing's shape at the largest zoom.
  const scale = (cols: number) => {
    const w = Math.max(
      widths(cols).reduce((a, x) => a + x, -HOST_GAP),
      netsW,
    );
    const h =
      (Object.keys(d.segments).length ? SEGMENT_GAP : 0) +
      Math.ceil(hosts.length / cols) * cellH -
      ROW_GAP +
      2 * BUS_CLEAR +
      BUS_STEP * nets.length +
      netH;
    return Math.min(view.w / w, view.h / h);
  };
  let cols = 1;
  for (let c = 2; c <= hosts.length; c++) if (scale(c) > scale(cols)) cols = c;
  const fits = scale(cols);
  const colW = widths(cols);
  const colX = colW.map((_, c) => colW.slice(0, c).reduce((a, w) => a + w, 0));
  hosts.forEach((h, i) => {
    const x0 = colX[i % cols];
    const y = Math.floor(i / cols) * cellH;
    const { at, width } = rows.get(h)!;
    const left = x0 + inner.get(h)! - width; // right-aligned: spare width goes to the name, left
    for (const [id, p] of at) out[id] = { x: Math.round(left + p.x), y: y + p.row * lowerY };
    out[`hosts.${h}`] = { x: x0 + inner.get(h)! / 2, y };
  });
  const centre = (colW.reduce((a, w) => a + w, 0) - HOST_GAP - 2 * HOST_PAD) / 2;
  const meanX = (ids: string[]) => {
    const xs = ids.map((id) => out[id]?.x).filter((x): x is number => x !== undefined);
    return xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : centre;
  };
  const segments = Object.entries(d.segments).map(([name, seg]) => ({
    id: `segments.${name}`,
    w: size(`segments.${name}`).w,
    x: meanX(
      seg.ports.map((p) => {
        const dot = p.indexOf(".");
        return refId({ kind: "nics", host: p.slice(0, dot), name: p.slice(dot + 1) });
      }),
    ),
  }));
  spread(segments, -SEGMENT_GAP, out);
  const hostsBottom = (Math.ceil(hosts.length / cols) - 1) * cellH + contentH - rowH / 2 + HOST_PAD;
  const netY = hostsBottom + 2 * BUS_CLEAR + BUS_STEP * nets.length + netH / 2;
  spread(
    nets.map((n) => ({ id: `networks.${n}`, w: size(`networks.${n}`).w, x: meanX(networkNeighbours(n)) })),
    netY,
    out,
  );
  return { out, scale: fits };
}

export interface Box {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
}

const CLEAR = 4;
function blocks(b: Box, x: number, ya: number, yb: number): boolean {
  const [lo, hi] = ya < yb ? [ya, yb] : [yb, ya];
  return x > b.x1 - CLEAR && x < b.x2 + CLEAR && hi > b.y1 - CLEAR && lo < b.y2 + CLEAR;
}

/**
 * The bends of a line from `inner` (an element of the host whose box is `own`) to `hub` (a
 * network below or a segment above) that turns at `level`: null when the straight drop from the
 * host's box to that level meets no other host (a plain right-angled line does); otherwise out
 * of the box, along the gap between host rows to the nearest gap between host columns, down (or
 * up) it to the level, and across to the hub.
 */
export function detour(inner: Position, own: Box, hub: Position, level: number, boxes: Box[]): Position[] | null {
  const down = level > inner.y;
  const exit = down ? own.y2 + GAP / 2 : own.y1 - GAP / 2;
  if (!boxes.some((b) => b !== own && blocks(b, inner.x, exit, level))) return null;
  const lanes = freeLanes(boxes, exit, level);
  if (!lanes.length) return null;
  const lane = lanes.reduce((best, x) => (Math.abs(x - inner.x) < Math.abs(best - inner.x) ? x : best));
  return [
    { x: inner.x, y: exit },
    { x: lane, y: exit },
    { x: lane, y: level },
    { x: hub.x, y: level },
  ];
}

/** The gaps beside host boxes where a vertical line from `ya` to `yb` meets no box (the lines of
 * one drawing share them: remembered per list of boxes). */
const lanesSeen = new WeakMap<Box[], Map<string, number[]>>();
function freeLanes(boxes: Box[], ya: number, yb: number): number[] {
  const seen = lanesSeen.get(boxes) ?? new Map<string, number[]>();
  lanesSeen.set(boxes, seen);
  const key = `${ya} ${yb}`;
  if (!seen.has(key)) {
    seen.set(
      key,
      boxes
        .flatMap((b) => [b.x1 - HOST_GAP / 2, b.x2 + HOST_GAP / 2])
        .filter((x) => !boxes.some((b) => blocks(b, x, ya, yb))),
    );
  }
  return seen.get(key)!;
}

/** Bends as Cytoscape's segment weights (along source→target) and distances (across it), space-separated. */
export function segmentStyle(
  source: Position,
  target: Position,
  bends: Position[],
): { weights: string; distances: string } {
  const vx = target.x - source.x;
  const vy = target.y - source.y;
  const len = Math.hypot(vx, vy) || 1;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    weights: bends.map((p) => round(((p.x - source.x) * vx + (p.y - source.y) * vy) / (len * len))).join(" "),
    distances: bends.map((p) => round(((p.x - source.x) * -vy + (p.y - source.y) * vx) / len)).join(" "),
  };
}
