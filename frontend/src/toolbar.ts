/** The editor's toolbar: file, drawing, history and view buttons, the search box, the user; it marks the active tool. */
import { h } from "./dom";
import { showShortcuts, togglePanel } from "./help";
import type { Mode } from "./tools";
import type { Kind } from "./model";

export type ExportFormat = "yaml" | "sh" | "docker" | "compose";

/** What the buttons do (the editor and its files, wired by main.ts). */
export interface ToolbarActions {
  newDesign(): void;
  open(): void;
  save(): void;
  versions(): void;
  importFile(file: File): void;
  exportAs(to: ExportFormat): void;
  /** Arms the tool adding `what`, or disarms it when armed. */
  place(what: Kind): void;
  /** Starts connecting, or stops. */
  connect(): void;
  deleteSelected(): void;
  step(back: boolean): void;
  fit(): void;
  tidy(): void;
  /** The ids of the elements named like `text`, in order. */
  find(text: string): string[];
  /** Selects a found element and shows it. */
  reveal(id: string): void;
  status(message: string, error?: boolean): void;
  signOut(): void;
}

export class Toolbar {
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private searchHits: string[] = [];
  private searchIndex = 0;

  constructor(
    bar: HTMLElement,
    user: string,
    private readonly act: ToolbarActions,
  ) {
    const button = (name: string, label: string, action: () => void, title = "") => {
      const b = h("button", { id: name, title: title || label, type: "button", onclick: action }, label);
      this.buttons.set(name, b);
      return b;
    };
    const add = (what: Kind, label: string, key: string) =>
      button(
        `add-${what}`,
        label,
        () => act.place(what),
        `Add: click the button or press ${key}, then click where it goes (or Enter)`,
      );
    const exportAs = (to: ExportFormat, label: string, title: string) =>
      button(`export-${to}`, label, () => act.exportAs(to), title);
    const fileInput = h("input", { type: "file", accept: ".yaml,.yml,text/yaml", id: "import-file", hidden: true });
    fileInput.addEventListener("change", () => {
      const f = fileInput.files?.[0];
      if (f) act.importFile(f);
      fileInput.value = "";
    });
    bar.append(
      h("strong", { class: "brand" }, "mvlab"),
      h(
        "span",
        { class: "group" },
        button("new", "New", () => act.newDesign()),
        button("open", "Open…", () => act.open()),
        button("save", "Save", () => act.save(), "Save a new version (Ctrl-S)"),
        button("versions", "Versions…", () => act.versions(), "The saved versions: compare two, restore one"),
        button(
          "import",
          "Import…",
          () => fileInput.click(),
          "Import a design or a Docker Compose file (or drop it on the page)",
        ),
        fileInput,
        exportAs("yaml", "YAML", "Export as YAML"),
        exportAs("sh", "Shell", "Export as a shell script of ip commands"),
        exportAs("docker", "Docker", "Export as docker commands"),
        exportAs("compose", "Compose", "Export a Docker Compose file per host"),
      ),
      h(
        "span",
        { class: "group" },
        add("hosts", "+ Host", "H"),
        add("nics", "+ NIC", "I"),
        add("segments", "+ Segment", "S"),
        add("networks", "+ Network", "N"),
        add("containers", "+ Container", "C"),
        add("routers", "+ Router", "R"),
        button(
          "connect",
          "Connect",
          () => act.connect(),
          "Connect two elements: click one then the other; or L on one, L on the other",
        ),
        button("delete", "Delete", () => act.deleteSelected(), "Delete the selection (Delete)"),
      ),
      h(
        "span",
        { class: "group" },
        button("undo", "Undo", () => act.step(true), "Ctrl-Z"),
        button("redo", "Redo", () => act.step(false), "Ctrl-Shift-Z"),
      ),
      h(
        "span",
        { class: "group" },
        button("fit", "Fit", () => act.fit()),
        button("relayout", "Tidy", () => act.tidy(), "Forget positions and lay everything out again"),
        this.searchBox(),
      ),
      h("span", { id: "design-name" }),
      h("a", { href: "/class/", id: "classes-link", title: "Classes: teach or join one" }, "Classes"),
      button("panel-toggle", "Panel", togglePanel, "Hide or show the side panel (P)"),
      button(
        "help-button",
        "?",
        () => void showShortcuts(document.getElementById("dialog") as HTMLDialogElement),
        "Keyboard shortcuts (?)",
      ),
      h(
        "span",
        { class: "user" },
        `${user} `,
        button("signout", "Sign out", () => act.signOut()),
      ),
    );
  }

  /** Find by name: Enter selects the first match, Enter again the next one. */
  private searchBox(): HTMLInputElement {
    const search = h("input", { type: "search", id: "search", placeholder: "find by name (Ctrl-F)" });
    search.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      const hits = this.act.find(search.value);
      if (!hits.length) return this.act.status(`nothing named like "${search.value}"`, true);
      this.searchIndex = hits.join() === this.searchHits.join() ? (this.searchIndex + 1) % hits.length : 0;
      this.searchHits = hits;
      const id = hits[this.searchIndex];
      this.act.reveal(id);
      this.act.status(`${this.searchIndex + 1} of ${hits.length}: ${id}`);
    });
    return search;
  }

  /** Undo and Redo are offered only when there is a step to take. */
  history(canUndo: boolean, canRedo: boolean): void {
    this.buttons.get("undo")!.disabled = !canUndo;
    this.buttons.get("redo")!.disabled = !canRedo;
  }

  /** The armed tool's button is marked. */
  mode(mode: Mode): void {
    for (const [name, b] of this.buttons) {
      b.classList.toggle(
        "active",
        (mode.kind === "place" && name === `add-${mode.what}`) || (mode.kind === "connect" && name === "connect"),
      );
    }
  }
}
