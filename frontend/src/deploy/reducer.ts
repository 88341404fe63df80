/**
 * The deployment as its event stream tells it, kept by a pure reducer: (state, message) → state,
 * no DOM, no network. A message already applied (the same entry again after a reconnect, or an
 * older one) answers the very same state, so the views know there is nothing to redraw.
 */
import type { components } from "../api/schema";
import { Matrix, type MatrixJson } from "../matrix";
import { entryAfter } from "../reconnect";

type Wire = components["schemas"];
/** One message of the deployment's websocket: a stream entry's id (the cursor) and its event. */
export type Message = Wire["DeploymentMessage"];
export type StepEvent = Wire["StepEvent"];
export type FinishedEvent = Wire["FinishedEvent"];

export interface Followed {
  /** The entry id of the last message applied ("0": none yet): a reconnect resumes after it. */
  readonly cursor: string;
  /** The deployment's state ("" until the site tells it) and the detail of its last change. */
  readonly state: string;
  readonly detail: string;
  /** Each host's latest event of each step, the steps in the order they began. */
  readonly steps: ReadonlyMap<string, ReadonlyMap<string, StepEvent>>;
  /** Each host's outcome, once its agent finished. */
  readonly finished: ReadonlyMap<string, FinishedEvent>;
  /** The prediction with what the probes observed. */
  readonly matrix: Matrix;
}

/** Nothing deployed, nothing predicted. */
export function fresh(): Followed {
  return { cursor: "0", state: "", detail: "", steps: new Map(), finished: new Map(), matrix: new Matrix() };
}

/** `s` with a prediction merged into its matrix (observations already made stay). */
export function predicted(s: Followed, json: MatrixJson): Followed {
  const matrix = s.matrix.copy();
  matrix.merge(json);
  return { ...s, matrix };
}

/** `s` with the state the site answered a deploy or a teardown with (an answer has no detail). */
export function stated(s: Followed, state: string): Followed {
  return { ...s, state, detail: "" };
}

/** `s` after one message of the stream. */
export function reduce(s: Followed, { id, event }: Message): Followed {
  if (!entryAfter(id, s.cursor)) return s;
  const next = { ...s, cursor: id };
  switch (event.kind) {
    case "step": {
      const steps = new Map(s.steps);
      steps.set(event.host, new Map(s.steps.get(event.host)).set(event.step, event));
      return { ...next, steps };
    }
    case "finished":
      return { ...next, finished: new Map(s.finished).set(event.host, event) };
    case "deployment": {
      // once torn down, what the probes saw is gone with it: the prediction stays
      const matrix = event.state === "torn_down" ? s.matrix.copy() : s.matrix;
      if (event.state === "torn_down") matrix.clearObserved();
      return { ...next, state: event.state, detail: event.detail, matrix };
    }
    case "probe": {
      const matrix = s.matrix.copy();
      matrix.applyProbe(event);
      return { ...next, matrix };
    }
  }
}
