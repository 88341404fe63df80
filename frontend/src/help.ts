/** The editor's keyboard shortcuts, listed in a dialog by the toolbar's "?" button or the ? key. */
import { tell } from "./ask";
import { h } from "./dom";

export const SHORTCUTS: Array<[string, string]> = [
  ["H I S N C R", "add a host, NIC, segment, network, container or router: then click where it goes, or press Enter"],
  [
    "Enter",
    "put the element being added beside the selection; a new element's name then has the keyboard: type it, Enter",
  ],
  ["Shift-click / Shift-Enter", "place and keep the tool, to place several"],
  ["drag onto", "a NIC onto a segment, a container or router onto a network: connects them"],
  ["L", "connect: L on one element, select the other, L again"],
  ["Tab / Shift-Tab", "in the drawing: select the next / previous element"],
  ["Arrows", "move the selection (Shift: further)"],
  ["F2", "rename the selection"],
  ["Delete", "delete the selection"],
  ["Esc", "stop adding or connecting; leave a text field (a name field: keeping the name it had)"],
  ["Ctrl-Z / Ctrl-Shift-Z", "undo / redo"],
  ["Ctrl-S", "save a new version"],
  ["Ctrl-F", "find an element by name (Enter: the next match)"],
  ["P", "hide or show the side panel"],
  ["?", "this list"],
];

export function showShortcuts(dialog: HTMLDialogElement): Promise<void> {
  return tell(dialog, "Keyboard shortcuts", [
    h(
      "dl",
      { class: "shortcuts", id: "shortcut-list" },
      ...SHORTCUTS.flatMap(([keys, what]) => [h("dt", {}, keys), h("dd", {}, what)]),
    ),
    "Shortcuts never fire while a text field has the keyboard. In the reachability matrix, Tab reaches the cells and arrows move between them.",
  ]);
}

/** Hides or shows the side panel (small screens); the drawing takes the room. */
export function togglePanel(): void {
  document.body.classList.toggle("panel-hidden");
}
