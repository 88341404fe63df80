/**
 * What a class exercise locked: the class page opens a student's copy as `#design=N&locked=a,b`.
 * Locked elements are drawn locked and their fields are read-only, saying why, before Save
 * would refuse the change (classroom/guards.py).
 */
import type cytoscape from "cytoscape";
import { h } from "./dom";

export function lockedPaths(hash: string): string[] {
  const found = /[#&]locked=([^&]*)/.exec(hash);
  return found
    ? decodeURIComponent(found[1])
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)
    : [];
}

/** True when changing `path` (`containers.d1.ip`) changes something locked (it, inside it, or around it). */
export function isLocked(path: string, locked: string[]): boolean {
  return locked.some((l) => path === l || path.startsWith(`${l}.`) || l.startsWith(`${path}.`));
}

/** The design path of a drawn element (a NIC lives in its host's list). */
export function designPath(id: string): string {
  const [kind, ...rest] = id.split(".");
  return kind === "nics" ? `hosts.${rest[0]}.nics` : id;
}

/** Marks the locked elements in the drawing and makes the selected one's locked fields read-only. */
export function markLocked(panel: HTMLElement, cy: cytoscape.Core, selected: string | null, locked: string[]): void {
  if (!locked.length) return;
  cy.style()
    .selector(".locked")
    .style({ "border-style": "double", "border-width": 5, "border-color": "#7048e8" })
    .update();
  cy.nodes().forEach((n) => {
    n.toggleClass("locked", isLocked(designPath(n.id()), locked));
  });
  if (!selected || selected.includes(":")) return;
  const base = designPath(selected);
  const fields = [
    ...panel.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(
      "input[name], textarea[name], select[name]",
    ),
  ].filter((f) => isLocked(f.name === "name" ? base : `${base}.${f.name}`, locked));
  if (!fields.length) return;
  for (const f of fields) {
    f.disabled = true;
    f.title = "locked by the exercise";
  }
  panel.querySelector("#locked-note")?.remove();
  panel.prepend(
    h(
      "p",
      { class: "locked-note", id: "locked-note" },
      `🔒 Locked by the exercise: ${locked.filter((l) => isLocked(l, [base])).join(", ")} — keep it as handed out (Save would refuse a change).`,
    ),
  );
}
