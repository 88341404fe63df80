/** Open, import (button and drag-and-drop) and export of designs. */
import { ApiError, type DesignOut, type DesignSummary, type Example, api } from "./api";
import { ask } from "./ask";
import { clear, h } from "./dom";

/** What Open… answers: one of the user's designs, or an example to start from. */
export type Picked = { design: DesignOut } | { example: Example };

/** The examples as a list, each with what it teaches; a click answers it. */
export function exampleList(examples: Example[], pick: (e: Example) => void): HTMLElement {
  return h(
    "ul",
    { class: "example-list" },
    ...examples.map((e) =>
      h(
        "li",
        {},
        h("button", { class: "link", type: "button", "data-example": e.name, onclick: () => pick(e) }, e.name),
        h("div", { class: "help" }, e.teaches),
      ),
    ),
  );
}

/** What the editor hears from Open…: a design renamed or deleted there (it may be the open one). */
export interface OpenHooks {
  renamed?: (out: DesignOut) => void;
  deleted?: (id: number) => void;
}

/** The site's words for a refusal: its first issue (with the hint) when it gave issues, else its detail. */
function refusal(err: unknown): string {
  if (err instanceof ApiError && err.issues.length) {
    const first = err.issues[0];
    return `${first.message}${first.hint ? ` (${first.hint})` : ""}`;
  }
  return (err as Error).message;
}

/**
 * Lists the user's designs (each to open, rename or delete) and the examples in a dialog; answers
 * the one picked (null when closed). A refused delete (a deployment still holds hosts) says why.
 */
export async function pickDesign(dialog: HTMLDialogElement, hooks: OpenHooks = {}): Promise<Picked | null> {
  let [list, examples] = await Promise.all([api.designs(), api.examples()]);
  clear(dialog);
  return new Promise((resolve) => {
    let picked: Picked | null = null;
    const close = (out: Picked | null) => {
      picked = out;
      dialog.close();
    };
    const mine = h("div", { id: "my-designs" });
    const note = h("p", { id: "files-note", role: "status" });
    const say = (text: string, error = false) => {
      note.textContent = text;
      note.className = error ? "error" : "help";
    };
    const refresh = async () => {
      list = await api.designs();
      render();
    };
    const render = () => {
      clear(mine);
      mine.append(
        list.length
          ? h("ul", { class: "design-list" }, ...list.map(item))
          : h("p", {}, "You have no saved designs yet: start from an example."),
      );
    };
    const item = (s: DesignSummary) =>
      h(
        "li",
        { "data-design": s.id },
        h(
          "button",
          { class: "link", "data-id": s.id, onclick: async () => close({ design: await api.design(s.id) }) },
          s.name,
        ),
        h("small", {}, ` #${s.id} · version ${s.version} · ${new Date(s.updated).toLocaleString()} `),
        h(
          "button",
          {
            type: "button",
            "data-rename": s.id,
            "aria-label": `Rename ${s.name}`,
            onclick: (ev: MouseEvent) => renaming((ev.target as HTMLElement).closest("li") as HTMLElement, s),
          },
          "Rename",
        ),
        h(
          "button",
          {
            type: "button",
            "data-delete": s.id,
            "aria-label": `Delete ${s.name}`,
            onclick: (ev: MouseEvent) => deleting((ev.target as HTMLElement).closest("li") as HTMLElement, s),
          },
          "Delete",
        ),
      );
    const renaming = (li: HTMLElement, s: DesignSummary) => {
      const input = h("input", {
        type: "text",
        name: "new-name",
        value: s.name,
        "aria-label": `New name for ${s.name}`,
      });
      const save = async () => {
        try {
          const out = await api.rename(s.id, input.value.trim());
          hooks.renamed?.(out);
          say(`Renamed ${s.name} to ${out.name} (version ${out.version}).`);
          await refresh();
        } catch (err) {
          say(`${s.name} is not renamed: ${refusal(err)}`, true);
          input.focus();
        }
      };
      input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") {
          ev.preventDefault();
          void save();
        }
        if (ev.key === "Escape") {
          ev.preventDefault();
          render();
        }
      });
      clear(li);
      li.append(
        input,
        h("button", { type: "button", "data-save-name": s.id, onclick: () => void save() }, "Save name"),
        h("button", { type: "button", onclick: render }, "Cancel"),
      );
      input.focus();
      input.select();
    };
    const deleting = (li: HTMLElement, s: DesignSummary) => {
      const yes = h(
        "button",
        {
          type: "button",
          class: "danger",
          "data-confirm-delete": s.id,
          onclick: async () => {
            try {
              await api.remove(s.id);
              hooks.deleted?.(s.id);
              say(`Deleted ${s.name} and its versions.`);
              await refresh();
            } catch (err) {
              say(`${s.name} is not deleted: ${refusal(err)}`, true);
              render();
            }
          },
        },
        "Delete",
      );
      clear(li);
      li.append(
        h("span", {}, `Delete ${s.name} and all its versions? `),
        yes,
        h("button", { type: "button", onclick: render }, "Keep it"),
      );
      yes.focus();
    };
    render();
    dialog.append(
      h("h2", {}, "Open a design"),
      mine,
      note,
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
    if (ev.dataTransfer?.types.includes("Files")) {
      ev.preventDefault();
      target.classList.add("dropping");
    }
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

/** A Docker Compose file (a top-level `services:`) rather than a design (`kind:`), as the site tells them apart. */
export function looksLikeCompose(text: string): boolean {
  return /^services\s*:/m.test(text) && !/^kind\s*:/m.test(text);
}

/**
 * The host a Compose file is likely for: the one its header names (a Compose export of mvlab:
 * `# mvlab design lab, host gw: ...`), else its file name made a usable name, else host1.
 */
export function composeHostGuess(text: string, fileName: string): string {
  const told = /^# mvlab design \S+, host ([a-z0-9][a-z0-9_-]*):/.exec(text);
  if (told) return told[1];
  const stem = fileName
    .split("/")
    .pop()!
    .split(".")[0]
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-");
  return stem.replace(/^[-_]+|-+$/g, "").slice(0, 32) || "host1";
}

/**
 * Asks which host (machine) a Compose file's containers run on, since a Compose file does not say:
 * undefined for a file that is no Compose file (nothing to ask), null when the user cancels.
 */
export async function askComposeHost(dialog: HTMLDialogElement, file: File): Promise<string | null | undefined> {
  const text = await file.text();
  if (!looksLikeCompose(text)) return undefined;
  const input = h("input", {
    type: "text",
    id: "compose-host",
    name: "compose-host",
    value: composeHostGuess(text, file.name),
    "aria-describedby": "compose-host-help",
    autocomplete: "off",
    spellcheck: false,
  });
  const asked = ask(
    dialog,
    `Import ${file.name}`,
    [
      h("label", { for: "compose-host" }, "The host its containers run on "),
      input,
      h(
        "p",
        { class: "help", id: "compose-host-help" },
        "A Compose file holds one machine's containers and networks; the design names that machine as a host.",
      ),
    ],
    [{ label: "Import", value: true, id: "compose-host-import", primary: true }],
  );
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      (dialog.querySelector("#compose-host-import") as HTMLElement).click();
    }
  });
  input.focus();
  input.select();
  return (await asked) ? input.value.trim() : null;
}

const SUFFIX = { yaml: ".yaml", sh: ".sh", docker: "-docker.sh", compose: ".compose.yaml" } as const;

function save(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Downloads the saved design exported by the site: for Compose, one file per host (`name-host.compose.yaml`).
 * A host the site refuses a Compose file (it runs no container or router) is passed over; the answer is then
 * the site's sentence for it (why, and what to run on that host instead), else "". None at all is an error.
 */
export async function download(
  id: number,
  name: string,
  to: keyof typeof SUFFIX,
  hosts: string[] = [],
): Promise<string> {
  if (to !== "compose") {
    save(await api.export(id, to), `${name}${SUFFIX[to]}`);
    return "";
  }
  const saved: string[] = [];
  const refused: string[] = [];
  for (const host of hosts) {
    try {
      save(await api.export(id, to, host), `${name}-${host}${SUFFIX[to]}`);
      saved.push(host);
    } catch (err) {
      if (!(err instanceof ApiError && err.issues.some((i) => i.path === "host"))) throw err;
      refused.push(err.message);
    }
  }
  if (!saved.length) throw new Error(refused.join(" "));
  return refused.length ? `Exported the Compose files of ${saved.join(", ")}; ${refused.join(" ")}` : "";
}
