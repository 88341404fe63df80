/**
 * Where a new NIC, container or router goes in its host. A host's box is drawn tight around its
 * elements, so a click inside it usually lands on one of them: the new element then goes just
 * below the host's elements under the click instead of on top of them (no drag to tidy it up).
 */
import type cytoscape from "cytoscape";
import { GAP, nodeSize } from "./layout";
import type { Position } from "./model";

/** `at`, or straight below the host's elements it would lie on; `kind` is the drawing's ("container"). */
export function freeSpot(cy: cytoscape.Core, host: string, kind: string, at: Position): Position {
  const size = nodeSize(kind, "new1");
  const across = (b: cytoscape.BoundingBox12) => at.x - size.w / 2 < b.x2 && at.x + size.w / 2 > b.x1;
  const column = cy
    .getElementById(`hosts.${host}`)
    .children()
    .map((n) => n.boundingBox({ includeLabels: false, includeOverlays: false }))
    .filter(across);
  if (!column.some((b) => at.y - size.h / 2 < b.y2 && at.y + size.h / 2 > b.y1)) return at;
  return { x: at.x, y: Math.max(...column.map((b) => b.y2)) + GAP / 2 + size.h / 2 };
}
