/**
 * A saved design's version history: the list, two versions compared (a line diff of their YAML,
 * as stored, comments included), and one of them restored as a new version.
 */
import "./versions.css";
import { type DesignOut, api } from "./api";
import { clear, h } from "./dom";

export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
}

/** The lines of `a` and `b` as kept, removed and added lines (longest common subsequence). */
export function lineDiff(a: string[], b: string[]): DiffLine[] {
  const rows = a.length + 1,
    cols = b.length + 1;
  const common = new Uint32Array(rows * cols); // common[i][j]: LCS length of a[i..] and b[j..]
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i * cols + j] =
        a[i] === b[j]
          ? common[(i + 1) * cols + j + 1] + 1
          : Math.max(common[(i + 1) * cols + j], common[i * cols + j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0,
    j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ op: " ", text: a[i] });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || common[(i + 1) * cols + j] >= common[i * cols + j + 1]))
      out.push({ op: "-", text: a[i++] });
    else out.push({ op: "+", text: b[j++] }); // removed lines first, then what replaced them
  }
  return out;
}

/** The changed lines with `context` unchanged lines around each change; gaps shown as "…". */
function shown(diff: DiffLine[], context = 3): HTMLElement {
  const near = diff.map((_, k) => diff.slice(Math.max(0, k - context), k + context + 1).some((d) => d.op !== " "));
  const lines: HTMLElement[] = [];
  diff.forEach((d, k) => {
    if (near[k]) {
      const tag = d.op === "+" ? "ins" : d.op === "-" ? "del" : "span";
      lines.push(h(tag, { class: "diff-line" }, `${d.op} ${d.text}`));
    } else if (k === 0 || near[k - 1]) lines.push(h("span", { class: "diff-gap" }, "…"));
  });
  return h(
    "pre",
    { id: "version-diff", class: "diff", tabindex: 0 },
    ...(diff.some((d) => d.op !== " ") ? lines : ["the two versions are the same"]),
  );
}

/** Restores version `number` of design `id`: its stored YAML saved again as the newest version. */
export async function restoreVersion(id: number, number: number): Promise<DesignOut> {
  const old = await api.design(id, number);
  return api.updateYaml(id, old.yaml);
}

/**
 * Lists the versions of design `id` in a dialog; two ticked versions can be compared. Answers the
 * version the user chose to restore, or null when the dialog was closed.
 */
export async function showVersions(dialog: HTMLDialogElement, id: number, name: string): Promise<number | null> {
  const versions = (await api.versions(id)).reverse(); // newest first
  const latest = versions[0]?.version;
  clear(dialog);
  return new Promise((resolve) => {
    let chosen: number | null = null;
    const result = h("div", { id: "version-compare", "aria-live": "polite" });
    const ticked = () =>
      Array.from(dialog.querySelectorAll<HTMLInputElement>("input[name=compare]:checked")).map((c) => Number(c.value));
    const compare = async () => {
      const [newer, older] = ticked().sort((x, y) => y - x);
      if (older === undefined) {
        clear(result);
        result.append(h("p", { class: "error" }, "Tick two versions to compare."));
        return;
      }
      const [a, b] = await Promise.all([api.design(id, older), api.design(id, newer)]);
      clear(result);
      result.append(
        h("h3", {}, `Version ${older} → version ${newer}`),
        shown(lineDiff(a.yaml.split("\n"), b.yaml.split("\n"))),
      );
    };
    const row = (v: { version: number; created: string }) =>
      h(
        "li",
        { "data-version": v.version },
        h(
          "label",
          {},
          h("input", { type: "checkbox", name: "compare", value: v.version }),
          ` version ${v.version}${v.version === latest ? " (latest)" : ""} · ${new Date(v.created).toLocaleString()}`,
        ),
        v.version === latest
          ? null
          : h(
              "button",
              {
                type: "button",
                id: `restore-${v.version}`,
                title: `Save version ${v.version} again as the newest version`,
                onclick: () => {
                  chosen = v.version;
                  dialog.close();
                },
              },
              "Restore",
            ),
      );
    dialog.append(
      h("h2", {}, `Versions of ${name}`),
      h(
        "p",
        { class: "help" },
        "Tick two versions and Compare to see what changed; Restore saves an old version again as the newest (nothing is lost).",
      ),
      h("ul", { id: "versions", class: "version-list" }, ...versions.map(row)),
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "button", id: "compare", class: "primary", onclick: () => void compare() }, "Compare"),
        h("button", { type: "button", id: "dialog-cancel", onclick: () => dialog.close() }, "Close"),
      ),
      result,
    );
    // the two newest are ticked: Compare at once shows the last change
    dialog.querySelectorAll<HTMLInputElement>("input[name=compare]").forEach((c, k) => {
      c.checked = k < 2;
    });
    dialog.onclose = () => resolve(chosen);
    dialog.showModal();
  });
}
