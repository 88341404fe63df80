/** Open, import (button and drag-and-drop) and export of designs. */
import { type DesignOut, type Example, api } from "./api";
import { clear, h } from "./dom";

/** What Open… answers: one of the user's designs, or an example to start from. */
export type Picked = { design: DesignOut } | { example: Example };

/** The examples as a list, each with what it teaches; a click answers it. */
export function exampleList(examples: Example[], pick: (e: Example) => void): HTMLElement {
  return h("ul", { class: "example-list" }, ...examples.map((e) => h("li", {},
    h("button", { class: "link", type: "button", "data-example": e.name, onclick: () => pick(e) }, e.name),
    h("div", { class: "help" }, e.teaches))));
}

/** Lists the user's designs and the examples in a dialog; answers the one picked (null when closed). */
export async function pickDesign(dialog: HTMLDialogElement): Promise<Picked | null> {
  const [list, examples] = await Promise.all([api.designs(), api.examples()]);
  clear(dialog);
  return new Promise((resolve) => {
    let picked: Picked | null = null;
    const close = (out: Picked | null) => { picked = out; dialog.close(); };
    dialog.append(
      h("h2", {}, "Open a design"),
      list.length
        ? h("ul", { class: "design-list" }, ...list.map((s) => h("li", {},
          h("button", { class: "link", "data-id": s.id, onclick: async () => close({ design: await api.design(s.id) }) },
            `${s.name}`), h("small", {}, ` #${s.id} · version ${s.version} · ${new Date(s.updated).toLocaleString()}`))))
        : h("p", {}, "You have no saved designs yet: start from an example."),
      h("h2", {}, "Start from an example"),
      exampleList(examples, (example) => close({ example })),
      h("button", { type: "button", id: "dialog-cancel", onclick: () => close(null) }, "Cancel"),
    );
    dialog.onclose = () => resolve(picked);
    dialog.showModal();
  });
}

/** Calls `onFile` with a YAML file dropped anywhere on `target`. */
export function acceptDrops(target: HTMLElement, onFile: (file: File) => void): void {
  target.addEventListener("dragover", (ev) => {
    if (ev.dataTransfer?.types.includes("Files")) { ev.preventDefault(); target.classList.add("dropping"); }
  });
  target.addEventListener("dragleave", () => target.classList.remove("dropping"));
  target.addEventListener("drop", (ev) => {
    target.classList.remove("dropping");
    const file = ev.dataTransfer?.files[0];
    if (!file) return;
    ev.preventDefault();
    onFile(file);
  });
}

const SUFFIX = { yaml: ".yaml", sh: ".sh", docker: "-docker.sh" } as const;

/** Downloads the saved design exported by the site. */
export async function download(id: number, name: string, to: keyof typeof SUFFIX): Promise<void> {
  const text = await api.export(id, to);
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const a = h("a", { href: url, download: `${name}${SUFFIX[to]}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
