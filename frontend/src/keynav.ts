/** Moving the selection between the drawing's elements with the keyboard, in reading order. */
import type cytoscape from "cytoscape";

/** The element after (or before) `current` in reading order (top to bottom, then left to right);
 * null past either end, so Tab then leaves the drawing as it leaves any other control. */
export function nextElement(cy: cytoscape.Core, current: string | null, back: boolean): string | null {
  const order = cy
    .nodes()
    .toArray()
    .map((n) => ({ id: n.id(), box: n.boundingBox({}) }))
    .sort((a, b) => a.box.y1 - b.box.y1 || a.box.x1 - b.box.x1 || a.id.localeCompare(b.id))
    .map((n) => n.id);
  const at = current === null ? -1 : order.indexOf(current);
  const next = at === -1 ? (back ? order.length - 1 : 0) : at + (back ? -1 : 1);
  return order[next] ?? null;
}
