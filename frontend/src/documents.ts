/** The editor's file actions: new, open, save, versions, the examples, import and export, asking first about unsaved changes. */
import { ApiError, type Example, api } from "./api";
import { ask, tell } from "./ask";
import { clear, h } from "./dom";
import { type Editor, newDoc } from "./editor";
import { askComposeHost, download, exampleList, pickDesign } from "./files";
import { emptyDesign } from "./model";
import type { ExportFormat } from "./toolbar";
import { restoreVersion, showVersions } from "./versions";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** An error in words, with the first issue the site gave (where and why). */
function explainError(err: unknown): string {
  const first = err instanceof ApiError ? err.issues.find((i) => i.severity === "error") : undefined;
  return `${(err as Error).message}${first ? ` — ${first.path}: ${first.message}${first.hint ? ` (${first.hint})` : ""}` : ""}`;
}

export class Documents {
  /** The examples to start from, shown in the panel while the design is blank. */
  private readonly start = h("div", { id: "start" });

  constructor(private readonly editor: Editor) {}

  async trySave(): Promise<void> {
    try {
      await this.editor.save();
    } catch (err) {
      this.editor.status(`Not saved: ${explainError(err)}`, true);
    }
  }

  /** Before the design is replaced: asks what to do with unsaved changes; false to stay. */
  private async mayReplace(): Promise<boolean> {
    if (!this.editor.dirty) return true;
    const answer = await ask(
      $("dialog"),
      "Unsaved changes",
      [
        `${this.editor.design.name} has changes that are not saved.`,
        "Save them as a new version, or leave them (Undo brings them back while this page is open)?",
      ],
      [
        { label: "Save, then continue", value: "save", id: "dialog-save", primary: true },
        { label: "Leave them", value: "discard", id: "dialog-discard" },
      ],
    );
    if (answer === "save") {
      try {
        await this.editor.save();
      } catch (err) {
        this.editor.status(`Not saved: ${explainError(err)}`, true);
        return false;
      }
    }
    return answer !== null;
  }

  async newDesign(): Promise<void> {
    if (!(await this.mayReplace())) return;
    const d = emptyDesign();
    this.editor.replace(d, newDoc(d), []);
    this.editor.status("New design: start from an example (right), or add hosts with the toolbar.");
  }

  async open(): Promise<void> {
    try {
      const picked = await pickDesign($("dialog"), {
        renamed: (out) => this.editor.renamedElsewhere(out),
        deleted: (id) => this.editor.deletedElsewhere(id),
      });
      if (!picked) return;
      if ("example" in picked) return await this.openExample(picked.example);
      if (!(await this.mayReplace())) return;
      this.editor.load(picked.design);
      this.editor.status(`opened ${picked.design.name}, version ${picked.design.version}`);
    } catch (err) {
      this.editor.status(`Could not open it: ${(err as Error).message}`, true);
    }
  }

  /** The saved versions: compare two, or restore one as the newest version. */
  async versions(): Promise<void> {
    const id = this.editor.designId;
    if (id === null) return this.editor.status("Versions are those of a saved design: save this one first.", true);
    try {
      const number = await showVersions($("dialog"), id, this.editor.design.name);
      if (number === null || !(await this.mayReplace())) return;
      const out = await restoreVersion(id, number);
      this.editor.load(out);
      this.editor.status(`restored version ${number} of ${out.name} as version ${out.version}`);
    } catch (err) {
      this.editor.status(`Versions: ${explainError(err)}`, true);
    }
  }

  /** Saves an example as a design of the user's own and opens it. */
  private async openExample(example: Example): Promise<void> {
    if (!(await this.mayReplace())) return;
    try {
      const out = await api.createFromYaml(example.yaml);
      this.editor.load(out);
      this.editor.status(`opened the example ${example.name} as your design #${out.id}: ${example.teaches}`);
    } catch (err) {
      this.editor.status(`Could not open the example ${example.name}: ${explainError(err)}`, true);
    }
  }

  async loadExamples(): Promise<void> {
    let examples: Example[];
    try {
      examples = await api.examples();
    } catch (err) {
      return this.editor.status(`The examples could not be listed: ${(err as Error).message}`, true);
    }
    clear(this.start);
    this.start.append(
      h("h2", {}, "Start from an example"),
      h("p", { class: "help" }, "Each is a lab to deploy and learn from; it is saved as your own design."),
      exampleList(examples, (e) => void this.openExample(e)),
      h("p", { class: "help" }, "Or draw one: H adds a host, S a segment, N a network, C a container (inside a host)."),
    );
    this.editor.offerStart(examples.length ? this.start : null);
  }

  /** The design the page was opened on (`#design=N`): nothing before it to undo. */
  async openId(id: number): Promise<void> {
    try {
      const out = await api.design(id);
      this.editor.load(out);
      this.editor.history.reset(this.editor.design, this.editor.history.doc);
      this.editor.changed();
    } catch (err) {
      this.editor.status(`Could not open design #${id}: ${(err as Error).message}`, true);
    }
  }

  async importFile(file: File): Promise<void> {
    if (!(await this.mayReplace())) return;
    const host = await askComposeHost($("dialog"), file);
    if (host === null) return;
    try {
      const out = await api.import(file, host);
      this.editor.load(out);
      this.editor.status(`imported ${file.name} as ${out.name}, version ${out.version}`);
    } catch (err) {
      const issues = err instanceof ApiError ? err.issues : [];
      this.editor.status(
        `import ${file.name}: ${(err as Error).message}${issues.length ? " (details in the dialog)" : ""}`,
        true,
      );
      if (issues.length) {
        void tell($("dialog"), `${file.name} does not load`, [
          h(
            "ul",
            { class: "issues", id: "import-errors" },
            ...issues.map((i) =>
              h(
                "li",
                { class: i.severity },
                h("b", {}, `${i.line ? `line ${i.line} · ` : ""}${i.path || "the file"}: `),
                i.message,
                i.hint ? h("div", { class: "hint" }, i.hint) : null,
              ),
            ),
          ),
        ]);
      }
    }
  }

  /** Saves first when needed (the site exports a stored version). */
  async exportAs(to: ExportFormat): Promise<void> {
    const editor = this.editor;
    try {
      const id = editor.dirty || editor.designId === null ? await editor.save() : editor.designId;
      const said = await download(id, editor.design.name, to, Object.keys(editor.design.hosts));
      if (said) editor.status(said); // a host without a Compose file: why, and what to run there
    } catch (err) {
      editor.status(`Not exported: ${explainError(err)}`, true);
    }
  }
}
