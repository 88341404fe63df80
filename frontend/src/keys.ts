/** The editor's keyboard shortcuts (listed for the user in help.ts): each key to what it does. */
import type { Editor } from "./editor";
import type { Documents } from "./documents";
import { showShortcuts, togglePanel } from "./help";
import type { Kind } from "./model";

/** Keys that start adding an element (then click where it goes, or press Enter to put it beside the selection). */
const ADD_KEYS: Record<string, Kind> = {
  h: "hosts",
  i: "nics",
  s: "segments",
  n: "networks",
  c: "containers",
  r: "routers",
};

/** True while the user types: keyboard shortcuts then belong to the field, never to the editor. */
function isTextField(el: EventTarget | null): boolean {
  if (el instanceof HTMLInputElement)
    return !["checkbox", "radio", "button", "submit", "reset", "file"].includes(el.type);
  return (
    el instanceof HTMLTextAreaElement ||
    el instanceof HTMLSelectElement ||
    (el instanceof HTMLElement && el.isContentEditable)
  );
}

/** Sends the page's key presses to the editor, unless a dialog or a text field has the keyboard. */
export function bindKeys(editor: Editor, files: Documents): void {
  const $ = (id: string) => document.getElementById(id)!;
  document.addEventListener("keydown", (ev) => {
    if (document.querySelector("dialog[open]")) return; // the dialog has the keyboard
    const typing = isTextField(ev.target) || isTextField(document.activeElement);
    const ctrl = ev.ctrlKey || ev.metaKey;
    const k = ev.key.toLowerCase();
    if (ctrl && k === "s") {
      ev.preventDefault();
      (document.activeElement as HTMLElement | null)?.blur?.();
      void files.trySave();
      return;
    }
    if (ctrl && k === "f") {
      ev.preventDefault();
      $("search").focus();
      return;
    }
    if (ev.key === "Escape") {
      if (typing) (ev.target as HTMLElement).blur();
      else editor.tools.setMode({ kind: "idle" });
      return;
    }
    if (typing) return;
    if (!ctrl && !ev.altKey && ADD_KEYS[k]) {
      ev.preventDefault();
      editor.tools.setMode({ kind: "place", what: ADD_KEYS[k] });
      return;
    }
    if (!ctrl && k === "l") {
      ev.preventDefault();
      editor.tools.connectSelected();
      return;
    }
    if (ev.key === "?") {
      ev.preventDefault();
      void showShortcuts($("dialog") as HTMLDialogElement);
      return;
    }
    if (!ctrl && !ev.altKey && k === "p") {
      ev.preventDefault();
      togglePanel();
      return;
    }
    if (ev.key === "Tab" && !ctrl && ev.target === $("canvas")) {
      if (editor.selectNext(ev.shiftKey)) ev.preventDefault();
      return;
    }
    if (ev.key === "Enter" && editor.tools.mode.kind === "place") {
      ev.preventDefault();
      editor.tools.placeBesideSelection(ev.shiftKey);
      return;
    }
    if (ctrl && k === "z" && !ev.shiftKey) {
      ev.preventDefault();
      editor.step(true);
    } else if (ctrl && ((k === "z" && ev.shiftKey) || k === "y")) {
      ev.preventDefault();
      editor.step(false);
    } else if (ev.key === "Delete" || ev.key === "Backspace") {
      ev.preventDefault();
      editor.deleteSelected();
    } else if (ev.key === "F2") {
      ev.preventDefault();
      editor.rename();
    } else if (ev.key.startsWith("Arrow") && editor.selection) {
      ev.preventDefault();
      const step = ev.shiftKey ? 50 : 10;
      const [dx, dy] = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[
        ev.key
      ] ?? [0, 0];
      editor.nudge(dx, dy);
    }
  });
}
