/** The Issues tab's list: each issue where and why, a click on one selecting what it concerns. */
import { clear, h } from "./dom";
import type { Issue } from "./issues";

/** Draws `issues` into `root`; `pick` gets the element an issue concerns. Answers how many are errors. */
export function showIssues(
  root: HTMLElement,
  issues: Issue[],
  byElement: Map<string, Issue[]>,
  pick: (target: string) => void,
): number {
  clear(root);
  const errors = issues.filter((i) => i.severity === "error").length;
  root.append(h("h2", {}, errors ? `${errors} error${errors === 1 ? "" : "s"}` : "No errors"));
  if (!issues.length) root.append(h("p", { class: "help" }, "The design is valid."));
  root.append(
    h(
      "ul",
      { class: "issues", id: "issue-list" },
      ...issues.map((issue) => {
        const target = [...byElement.entries()].find(([, list]) => list.includes(issue))?.[0] || null;
        return h(
          "li",
          {
            class: `${issue.severity} ${target ? "clickable" : ""}`,
            "data-path": issue.path,
            onclick: () => {
              if (target) pick(target);
            },
          },
          h("b", {}, `${issue.path}: `),
          issue.message,
          issue.hint ? h("div", { class: "hint" }, issue.hint) : null,
        );
      }),
    ),
  );
  return errors;
}
