/** A question in the page's modal dialog: the answer picked, or null when closed or cancelled. */
import { clear, h } from "./dom";

export interface Choice<T> {
  label: string;
  value: T;
  id?: string;
  primary?: boolean;
}

export function ask<T>(
  dialog: HTMLDialogElement,
  title: string,
  body: Array<Node | string>,
  choices: Choice<T>[],
  dismiss = "Cancel",
): Promise<T | null> {
  clear(dialog);
  return new Promise((resolve) => {
    let answer: T | null = null;
    const buttons = choices.map((c) =>
      h(
        "button",
        {
          type: "button",
          id: c.id,
          class: c.primary ? "primary" : undefined,
          onclick: () => {
            answer = c.value;
            dialog.close();
          },
        },
        c.label,
      ),
    );
    dialog.append(
      h("h2", {}, title),
      ...body.map((b) => (typeof b === "string" ? h("p", {}, b) : b)),
      h(
        "div",
        { class: "buttons" },
        ...buttons,
        h("button", { type: "button", id: "dialog-cancel", onclick: () => dialog.close() }, dismiss),
      ),
    );
    dialog.onclose = () => resolve(answer);
    dialog.showModal();
    (buttons.find((_, i) => choices[i].primary) ?? buttons[0])?.focus();
  });
}

/** Shows `body` with a single Close button. */
export async function tell(dialog: HTMLDialogElement, title: string, body: Array<Node | string>): Promise<void> {
  await ask(dialog, title, body, [], "Close");
}
