/** The list of pairs that did not behave as predicted, each with the site's reason. */
import { clear, h } from "../dom";
import { type Matrix, type Pair, cellState } from "../matrix";
import { reasonWords } from "../matrixview";

const MAX_LISTED = 20;

/** Fills `list` with `matrix`'s mismatches; a click or focus on one calls `show` (its path). */
export function drawMismatches(list: HTMLElement, matrix: Matrix, show: (p: Pair) => void): void {
  clear(list);
  const bad = [...matrix.pairs.values()].filter((p) => ["missing", "unexpected"].includes(cellState(p)));
  for (const p of bad.slice(0, MAX_LISTED)) {
    list.append(
      h(
        "li",
        { tabindex: 0, onclick: () => show(p), onfocus: () => show(p) },
        `${p.src} → ${p.dst} ${p.dst_ip}: ${p.expected ? "expected reachable, not reached" : "reached though it should not be"}`,
        h("div", { class: "hint" }, reasonWords(matrix, p)),
      ),
    );
  }
  if (bad.length > MAX_LISTED) list.append(h("li", {}, `… and ${bad.length - MAX_LISTED} more`));
}
