/** Open, import (button and drag-and-drop) and export of designs. */
import { type DesignOut, api } from "./api";
import { clear, h } from "./dom";

/** Lists the user's designs in a dialog and answers the one picked (null when closed). */
export async function pickDesign(dialog: HTMLDialogElement): Promise<DesignOut | null> {
  const list = await api.designs();
  clear(dialog);
  return new Promise((resolve) => {
    const close = (out: DesignOut | null) => { dialog.close(); resolve(out); };
    dialog.append(
      h("h2", {}, "Open a design"),
      list.length
        ? h("ul", { class: "design-list" }, ...list.map((s) => h("li", {},
          h("button", { class: "link", "data-id": s.id, onclick: async () => close(await api.design(s.id)) },
            `${s.name}`), h("small", {}, ` #${s.id} · version ${s.version} · ${new Date(s.updated).toLocaleString()}`))))
        : h("p", {}, "You have no saved designs yet."),
      h("button", { onclick: () => close(null) }, "Cancel"),
    );
    dialog.onclose = () => resolve(null);
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
