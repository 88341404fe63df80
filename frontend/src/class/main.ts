/**
 * The class page (`/class/`): join or create classes; the instructor's live class view; a
 * student's goal checklist beside the editor. Live updates come over `/ws/classes/<id>/`.
 */
import "../style.css";
import "./class.css";
import { clear, h } from "../dom";
import { Board, type Message, progressText, type Row } from "./board";
import { reconnecting } from "../reconnect";
import { ApiError, explained, session, where } from "../http";
import type { Pair } from "../matrix";
import { type ClassOut, type DesignSummary, classApi } from "./api";
import { stateWords } from "../deployments";

const main = document.getElementById("class-main")!;
/** The signed-in user's roles (GET /api/session): only instructors are offered "New class". */
let myRoles: string[] = [];
const statusLine = document.getElementById("class-status")!;

function status(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", error);
}

async function attempt<T>(what: () => Promise<T>): Promise<T | undefined> {
  try {
    return await what();
  } catch (err) {
    status(err instanceof ApiError ? explained(err) : String(err), true);
    return undefined;
  }
}

function goalList(row: Row): HTMLElement {
  const mark = { passed: "✔", failed: "✘", pending: "…" };
  return h(
    "ul",
    { class: "goals" },
    ...row.goals.items.map((i) =>
      h(
        "li",
        { class: `goal ${i.status}`, title: i.message },
        h("span", { class: "mark" }, mark[i.status]),
        ` ${i.message}`,
      ),
    ),
  );
}

function deployState(row: Row): string {
  return row.deployment ? stateWords(row.deployment.state) : "not deployed";
}

/** Follows the class websocket, reconnecting with back-off (reconnect.ts; each connection starts
 * with the whole board); every message goes through `board`, then `changed`. */
function follow(room: ClassOut, board: Board, changed: (attempt: number | null) => void): void {
  reconnecting({
    url: () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${room.websocket}`,
    message: (data) => changed(board.apply(JSON.parse(data) as Message)),
    refused: () => status("You may not follow this class.", true),
  });
}

// ---- home: my classes, join, create -------------------------------------------------------

async function home(): Promise<void> {
  clear(main);
  const classes = (await attempt(() => classApi.classes())) ?? [];
  const code = h("input", { id: "join-code", placeholder: "join code", autocomplete: "off", required: true });
  const join = h(
    "form",
    { id: "join-form", class: "card" },
    h("h2", {}, "Join a class"),
    h("label", { class: "row" }, h("span", {}, "Join code"), code),
    h("p", { class: "help" }, "Your instructor gives you the code."),
    h("button", { id: "join", type: "submit", class: "primary" }, "Join"),
  );
  join.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const room = await attempt(() => classApi.join(code.value));
    if (room) location.hash = `class=${room.id}`;
  });
  const name = h("input", { id: "new-class-name", placeholder: "class name", required: true });
  const create = h(
    "form",
    { id: "new-class-form", class: "card" },
    h("h2", {}, "New class"),
    h("label", { class: "row" }, h("span", {}, "Name"), name),
    h("button", { id: "new-class", type: "submit", class: "primary" }, "Create"),
  );
  create.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const room = await attempt(() => classApi.create(name.value));
    if (room) location.hash = `class=${room.id}`;
  });
  main.append(
    h(
      "section",
      { id: "my-classes", class: "card" },
      h("h2", {}, "My classes"),
      classes.length
        ? h(
            "ul",
            {},
            ...classes.map((c) =>
              h(
                "li",
                {},
                h("a", { href: `#class=${c.id}` }, c.name),
                c.teaching ? ` — you teach it (code ${c.code})` : ` — taught by ${c.instructor}`,
              ),
            ),
          )
        : h("p", {}, "None yet."),
    ),
    join,
    ...(myRoles.includes("instructor") ? [create] : []),
  );
}

// ---- the instructor's class view ----------------------------------------------------------

function exerciseForm(room: ClassOut, designs: DesignSummary[], reload: () => void): HTMLElement {
  const title = h("input", { id: "exercise-title", placeholder: "title", required: true });
  const design = h(
    "select",
    { id: "exercise-design" },
    ...designs.map((d) => h("option", { value: String(d.id) }, `${d.name} (v${d.version})`)),
  );
  const goals = h("textarea", {
    id: "exercise-goals",
    rows: 4,
    placeholder: "one goal a line: d1 reaches d4 with TTL 63",
  });
  const locked = h("textarea", {
    id: "exercise-locked",
    rows: 2,
    placeholder: "locked paths, one a line: containers.d1",
  });
  const instructions = h("textarea", {
    id: "exercise-instructions",
    rows: 2,
    placeholder: "instructions for students",
  });
  const label = (text: string, field: HTMLElement) => h("label", { class: "row" }, h("span", {}, text), field);
  const errors = h("ul", { class: "issues", id: "exercise-errors" });
  const form = h(
    "form",
    { id: "exercise-form", class: "card" },
    h("h3", {}, "New exercise"),
    label("Title", title),
    label("Starting design", design),
    label("Goals", goals),
    label("Locked", locked),
    label("Instructions", instructions),
    errors,
    h("button", { id: "add-exercise", type: "submit", class: "primary" }, "Add exercise"),
  );
  const lines = (t: HTMLTextAreaElement) =>
    t.value
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(errors);
    try {
      await classApi.addExercise(room.id, {
        title: title.value,
        design: Number(design.value),
        goals: lines(goals),
        locked: lines(locked),
        instructions: instructions.value,
      });
    } catch (err) {
      if (!(err instanceof ApiError) || !err.issues.length) {
        status(String((err as Error).message), true);
        return;
      }
      status(err.message, true); // each issue once, below the form
      errors.append(
        ...err.issues.map((i) =>
          h(
            "li",
            { class: "error" },
            h("b", {}, `${where(i)}: `),
            i.message,
            i.hint ? h("div", { class: "hint" }, i.hint) : null,
          ),
        ),
      );
      return;
    }
    status(`Exercise “${title.value}” added; open it to hand it out.`);
    reload();
  });
  return form;
}

function exerciseList(room: ClassOut, reload: () => void): HTMLElement {
  return h(
    "ul",
    { id: "exercises" },
    ...room.exercises.map((e) =>
      h(
        "li",
        { "data-exercise": String(e.id) },
        h("strong", {}, e.title),
        ` — ${e.goals.join("; ")} `,
        e.opened
          ? h("span", { class: "opened" }, "open")
          : h(
              "button",
              {
                class: "open-exercise",
                type: "button",
                onclick: async () => {
                  if (await attempt(() => classApi.open(e.id))) {
                    status(`“${e.title}” is open.`);
                    reload();
                  }
                },
              },
              "Open",
            ),
      ),
    ),
  );
}

function matrixTable(pairs: Pair[]): HTMLElement {
  const cell = (p: Pair) => (p.observed === null ? "…" : p.observed ? `✔ ttl ${p.ttl}` : "✘");
  return h(
    "table",
    { class: "matrix" },
    h(
      "tr",
      {},
      h("th", {}, "from"),
      h("th", {}, "to"),
      h("th", {}, "address"),
      h("th", {}, "expected"),
      h("th", {}, "observed"),
    ),
    ...pairs.map((p) =>
      h(
        "tr",
        {},
        h("td", {}, p.src),
        h("td", {}, p.dst),
        h("td", {}, p.dst_ip),
        h("td", {}, p.expected ? "✔" : "✘"),
        h("td", { class: p.observed === p.expected ? "" : "differs" }, cell(p)),
      ),
    ),
  );
}

/** Tears down a student's sandbox of this attempt (the instructor's reset). */
async function resetAttempt(id: number, student: string): Promise<void> {
  const done = await attempt(() => classApi.reset(id));
  if (done)
    status(
      done.tearing_down.length
        ? `Tearing down ${student}'s sandbox (deployment ${done.tearing_down.join(", ")}).`
        : `${student} has no sandbox to tear down.`,
    );
}

async function showAttempt(panel: HTMLElement, id: number): Promise<void> {
  const found = await attempt(() => classApi.attempt(id));
  if (!found) return;
  clear(panel);
  const reset = h(
    "button",
    { id: "reset", type: "button", onclick: () => void resetAttempt(id, found.student) },
    "Reset sandbox",
  );
  panel.append(
    h("h3", {}, `${found.student} — ${found.exercise_title}`),
    reset,
    goalList(found),
    found.matrix ? matrixTable(found.matrix.pairs) : h("p", {}, "Not deployed yet."),
    h("details", {}, h("summary", {}, "Design (YAML)"), h("pre", { class: "yaml" }, found.yaml)),
  );
}

async function instructorView(room: ClassOut): Promise<void> {
  const designs = (await attempt(() => classApi.designs())) ?? [];
  const reload = () => void classView(room.id);
  const table = h("tbody", {});
  const detail = h("section", { id: "detail" });
  const board = new Board();
  const render = () => {
    clear(table);
    for (const row of board.sorted()) {
      table.append(
        h(
          "tr",
          {
            "data-attempt": String(row.attempt),
            "data-student": row.student,
            onclick: () => void showAttempt(detail, row.attempt),
          },
          h("td", { class: "student" }, row.student),
          h("td", {}, row.exercise_title),
          h("td", { class: "state" }, deployState(row)),
          h("td", { class: "progress" }, progressText(row.goals)),
          h("td", {}, goalList(row)),
          h(
            "td",
            { class: "actions" },
            h(
              "button",
              {
                type: "button",
                class: "view",
                onclick: (ev: Event) => {
                  ev.stopPropagation();
                  void showAttempt(detail, row.attempt);
                },
              },
              "View",
            ),
            " ",
            h(
              "button",
              {
                type: "button",
                class: "reset",
                disabled: !row.deployment || row.deployment.state === "torn_down",
                title: "Tear down this student's sandbox",
                onclick: (ev: Event) => {
                  ev.stopPropagation();
                  void resetAttempt(row.attempt, row.student);
                },
              },
              "Reset",
            ),
          ),
        ),
      );
    }
  };
  clear(main);
  main.append(
    h(
      "section",
      { id: "class-info" },
      h("h2", { id: "class-name" }, room.name),
      h(
        "p",
        {},
        "Join code ",
        h("code", { id: "join-code-shown" }, room.code ?? ""),
        ` · quotas per student: ${room.quotas.deploys} sandbox, ${room.quotas.hosts} hosts, ${room.quotas.containers} containers · `,
        h("a", { id: "export-csv", href: `/api/classes/${room.id}/results.csv` }, "Export results (CSV)"),
      ),
    ),
    h("section", { id: "exercise-admin" }, exerciseList(room, reload), exerciseForm(room, designs, reload)),
    h(
      "section",
      { id: "students" },
      h("h3", {}, "Students"),
      h(
        "table",
        { id: "student-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "student"),
            h("th", {}, "exercise"),
            h("th", {}, "deploy"),
            h("th", {}, "goals"),
            h("th", {}, "checklist"),
            h("th", {}, "sandbox"),
          ),
        ),
        table,
      ),
    ),
    detail,
  );
  follow(room, board, render);
}

// ---- the student's checklist beside the editor --------------------------------------------

function studentView(room: ClassOut): void {
  const board = new Board();
  const side = h("aside", { id: "checklist" });
  const frame = h("iframe", { id: "editor-frame", title: "editor" });
  let shown: number | null = null;
  const render = () => {
    const rows = board.sorted();
    clear(side);
    side.append(h("h2", {}, room.name));
    if (!rows.length) {
      side.append(h("p", {}, "No exercise is open yet; this page updates when one opens."));
      return;
    }
    const chosen = rows.find((r) => r.attempt === shown) ?? rows[0];
    if (rows.length > 1) {
      side.append(
        h(
          "select",
          {
            id: "attempt-choice",
            "aria-label": "exercise",
            onchange: (ev: Event) => {
              shown = Number((ev.target as HTMLSelectElement).value);
              render();
            },
          },
          ...rows.map((r) =>
            h("option", { value: String(r.attempt), selected: r.attempt === chosen.attempt }, r.exercise_title),
          ),
        ),
      );
    }
    const exercise = room.exercises.find((e) => e.id === chosen.exercise);
    side.append(h("h3", {}, chosen.exercise_title), h("p", { class: "instructions" }, exercise?.instructions ?? ""));
    if (exercise?.locked.length)
      side.append(h("p", { id: "locked" }, "Locked (keep as handed out): ", exercise.locked.join(", ")));
    side.append(
      h(
        "p",
        {},
        "Deploy: ",
        h("span", { id: "deploy-state" }, deployState(chosen)),
        " · goals ",
        h("span", { id: "goal-progress" }, progressText(chosen.goals)),
      ),
      goalList(chosen),
      h("p", { class: "hint" }, "Edit your copy in the editor, save, then deploy it into your sandbox (Deploy tab)."),
    );
    if (shown !== chosen.attempt) {
      shown = chosen.attempt;
      frame.src = `/#design=${chosen.design}${exercise?.locked.length ? `&locked=${encodeURIComponent(exercise.locked.join(","))}` : ""}`;
    }
  };
  clear(main);
  main.classList.add("student");
  main.append(side, frame);
  follow(room, board, render);
}

async function classView(id: number): Promise<void> {
  const room = await attempt(() => classApi.room(id));
  if (!room) return;
  document.title = `mvlab — ${room.name}`;
  if (room.teaching) await instructorView(room);
  else studentView(room);
}

async function route(): Promise<void> {
  main.classList.remove("student");
  const id = /class=(\d+)/.exec(location.hash)?.[1];
  if (id) await classView(Number(id));
  else await home();
}

async function start(): Promise<void> {
  const s = await session();
  if (!s.user) {
    location.href = `/accounts/login/?next=${encodeURIComponent(`/class/${location.hash}`)}`;
    return;
  }
  myRoles = s.roles ?? [];
  document.getElementById("who")!.textContent = s.user;
  window.addEventListener("hashchange", () => void route());
  await route();
}

void start();
