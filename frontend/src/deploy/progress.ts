/** The deployment's progress in words: its state, then each host's steps and outcome. */
import { stateWords } from "../deployments";
import { clear, h } from "../dom";
import type { Followed } from "./reducer";

const ICON: Record<string, string> = { started: "…", done: "✓", failed: "✗" };
const DETAIL_CHARS = 140;

/** Fills `box` with deployment `deployment`'s progress (empty when none is shown). */
export function drawProgress(box: HTMLElement, deployment: string | number | null, f: Followed): void {
  clear(box);
  if (deployment === null) return;
  const { state, detail } = f;
  const gone = state === "torn_down" || state === "tearing_down";
  box.append(
    h(
      "div",
      { class: "state", id: "deploy-state", "data-state": state, "data-deployment": deployment },
      `deployment #${deployment}: ${stateWords(state)}${detail ? ` — ${detail}` : ""}`,
    ),
  );
  for (const host of new Set([...f.steps.keys(), ...f.finished.keys()])) {
    const fin = f.finished.get(host);
    const steps = [...(f.steps.get(host)?.values() ?? [])];
    const list = h(
      "ol",
      {},
      ...steps.map((s) =>
        h(
          "li",
          { class: s.status, title: s.detail ?? "" },
          `${ICON[s.status]} ${s.step}`,
          s.detail
            ? h("small", {}, ` ${s.detail.length > DETAIL_CHARS ? `${s.detail.slice(0, DETAIL_CHARS)}…` : s.detail}`)
            : null,
        ),
      ),
    );
    const failed = steps.some((s) => s.status === "failed");
    const busy = steps.some((s) => s.status === "started");
    const outcome = fin ? (fin.ok ? "done" : "failed") : failed ? "failed" : busy ? "started" : "done";
    const text = gone
      ? `${stateWords(state)}${state === "tearing_down" ? "…" : ""}`
      : fin
        ? fin.ok
          ? "deployed"
          : `failed ${fin.detail ?? ""}`
        : failed
          ? "a step failed"
          : busy
            ? "working…"
            : "steps done";
    box.append(
      h(
        "details",
        { open: outcome !== "done", class: "host-steps" },
        h("summary", { class: outcome }, `${host}: ${text}`),
        list,
      ),
    );
  }
}
