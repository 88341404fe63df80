/** The class page's endpoints of the site's API (docs/classroom.md), over the one HTTP client (../http.ts). */
import type { components } from "../api/schema";
import { request } from "../http";
import type { MatrixJson } from "../matrix";

/** The classroom's shapes, generated from the site's OpenAPI document (`npm run types`). */
type Wire = components["schemas"];

export type ClassOut = Wire["ClassOut"];
export type Exercise = Wire["ExerciseOut"];
export type ExerciseIn = Wire["ExerciseIn"];
export type DesignSummary = Wire["DesignSummary"];
/** `matrix` is a free-form object on the wire: the latest deployment's observed matrix. */
export type AttemptOut = Omit<Wire["AttemptOut"], "matrix"> & { matrix: MatrixJson | null };

export const classApi = {
  classes: () => request<ClassOut[]>("GET", "/api/classes"),
  room: (id: number) => request<ClassOut>("GET", `/api/classes/${id}`),
  create: (name: string) => request<ClassOut>("POST", "/api/classes", { name }),
  join: (code: string) => request<ClassOut>("POST", "/api/classes/join", { code }),
  addExercise: (room: number, exercise: ExerciseIn) =>
    request<Exercise>("POST", `/api/classes/${room}/exercises`, exercise),
  open: (exercise: number) => request<Exercise>("POST", `/api/exercises/${exercise}/open`),
  attempt: (id: number) => request<AttemptOut>("GET", `/api/attempts/${id}`),
  reset: (attempt: number) => request<Wire["TearingDown"]>("POST", `/api/attempts/${attempt}/reset`),
  /** The instructor's designs, to start an exercise from. */
  designs: () => request<DesignSummary[]>("GET", "/api/designs"),
};
