/**
 * Dropping an element onto what it plugs into connects them, in one gesture (no Connect, two
 * clicks and Esc): a NIC onto a segment, a container or router onto a network, a network onto
 * its parent NIC. The dropped element goes back where it was.
 */
import type cytoscape from "cytoscape";
import { type Kind, type Position, type Ref, parseId } from "./model";

/** The pairs of kinds `connect` (model.ts) joins, either way round: a port, an attachment, a parent. */
const LINKS: Array<[Kind, Kind]> = [
  ["nics", "segments"],
  ["containers", "networks"],
  ["routers", "networks"],
  ["networks", "nics"],
];

/** Whether `connect` knows what joining an element of kind `a` to one of kind `b` means. */
export function linkable(a: Kind, b: Kind): boolean {
  return LINKS.some(([x, y]) => (a === x && b === y) || (a === y && b === x));
}

function ref(id: string): Ref | null {
  try {
    return parseId(id);
  } catch {
    return null;
  }
}

/** The element `dragged` would connect to if dropped with its centre at `at`: the topmost whose box holds `at`. */
export function dropTarget(cy: cytoscape.Core, dragged: string, at: Position): string | null {
  const from = ref(dragged);
  if (!from) return null;
  const under = cy.nodes().filter((n) => {
    const to = n.id() === dragged || n.isParent() ? null : ref(n.id());
    if (!to || !linkable(from.kind, to.kind)) return false;
    const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
    return at.x >= b.x1 && at.x <= b.x2 && at.y >= b.y1 && at.y <= b.y2;
  });
  return under.empty() ? null : under.last().id();
}

/** What a drag of `node` would connect to now: only a single element dragged alone (not a host with its children). */
export function draggedOnto(cy: cytoscape.Core, node: cytoscape.NodeSingular): string | null {
  if (node.isParent() || node.ancestors().some((a) => (a as cytoscape.NodeSingular).grabbed())) return null;
  return dropTarget(cy, node.id(), node.position());
}
