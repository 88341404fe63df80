/**
 * The deploy tab, composed of deploy/: pick the sandbox or an agent per host (picker), deploy, follow
 * and tear down (lifecycle), the stream's events kept by a pure reducer (reducer), shown as each
 * host's progress (progress) and the reachability matrix (matrixpanel).
 */
import { ApiError, api } from "./api";
import { stateWords } from "./deployments";
import { h } from "./dom";
import type { Design } from "./model";
import { Lifecycle } from "./deploy/lifecycle";
import { MatrixPanel } from "./deploy/matrixpanel";
import { TargetPicker } from "./deploy/picker";
import { drawProgress } from "./deploy/progress";
import { type Message, fresh, predicted, reduce, stated } from "./deploy/reducer";

export interface DeployHost {
  design(): Design;
  /** Saves the design if it changed and answers its id. */
  saved(): Promise<number>;
  highlight(ids: string[]): void;
  results(states: Map<string, "ok" | "bad">): void;
  status(message: string, error?: boolean): void;
}

export class DeployPanel {
  /** What the deployment's stream told so far, with the prediction. */
  private followed = fresh();
  private readonly picker: TargetPicker;
  private readonly life: Lifecycle;
  private readonly view: MatrixPanel;
  private readonly progressBox = h("div", { class: "progress" });
  private readonly deployButton = h("button", { id: "deploy", onclick: () => void this.deploy() }, "Deploy");
  private readonly blocked = h("p", { class: "help blocked", id: "deploy-blocked", hidden: true });

  constructor(
    root: HTMLElement,
    private readonly app: DeployHost,
  ) {
    const say = (message: string, error?: boolean) => this.app.status(message, error);
    this.picker = new TargetPicker(() => this.app.design(), say);
    this.life = new Lifecycle(say);
    this.view = new MatrixPanel(app, () => this.followed.matrix);
    root.append(
      h("h2", {}, "Deploy"),
      this.picker.root,
      h(
        "div",
        { class: "buttons" },
        this.deployButton,
        h("button", { id: "teardown", onclick: () => void this.teardown() }, "Tear down"),
        h("button", { onclick: () => void this.predict() }, "Predict"),
      ),
      this.blocked,
      this.life.standing.root,
      this.progressBox,
      h("h2", {}, "Reachability"),
      ...this.view.parts,
    );
  }

  /** The deployment shown (null: none). */
  get deployment(): string | number | null {
    return this.life.id;
  }

  /** Redraws the matrix (its summary, mismatches and table), the keyboard staying on its cell. */
  drawMatrix(): void {
    this.view.draw();
  }

  refreshAgents(): Promise<void> {
    return this.picker.refresh();
  }

  /** Called when the design changes: the host list of the picker follows it. */
  designChanged(): void {
    this.picker.draw();
  }

  /** Deploy is refused, with `reason` shown beside it, while the design has errors (null: allowed). */
  block(reason: string | null): void {
    this.deployButton.disabled = reason !== null;
    this.deployButton.title = reason ?? "Save the design and deploy it";
    this.blocked.hidden = reason === null;
    this.blocked.textContent = reason ?? "";
  }

  async predict(): Promise<void> {
    try {
      const json = await api.predict(this.app.design());
      this.followed = predicted(this.followed, json);
      this.view.draw();
    } catch (err) {
      this.app.status(`predict: ${(err as Error).message}`, true);
    }
  }

  /** A fresh prediction of the design, unless a deployment's results are on show (they belong to its version)
   * or the design has errors (the site would refuse it). */
  async predictUnlessDeployed(): Promise<void> {
    if (this.life.id === null && !this.deployButton.disabled) await this.predict();
  }

  async deploy(): Promise<void> {
    try {
      const target = this.picker.target();
      const id = await this.app.saved();
      if (!(await this.life.mayDeploy(id))) return;
      this.followed = { ...this.followed, matrix: fresh().matrix };
      await this.predict();
      this.followed = { ...fresh(), matrix: this.followed.matrix };
      const out = await this.life.deploy(id, target);
      this.followed = stated(this.followed, out.state);
      this.app.status(`deployment #${out.id}: ${stateWords(out.state)}`);
      this.life.refreshStanding();
      this.listen(out.websocket);
      this.drawProgress();
    } catch (err) {
      const first = err instanceof ApiError ? err.issues.find((i) => i.severity === "error") : undefined;
      this.app.status(
        `Deploy refused: ${(err as Error).message}${first ? ` — ${first.path}: ${first.message}` : ""}`,
        true,
      );
    }
  }

  /** Forgets the deployment shown (another design was opened). */
  reset(): void {
    this.life.forget();
    this.followed = fresh();
    this.drawProgress();
    this.view.draw();
    this.life.refreshStanding();
  }

  /** Shows the design's latest deployment that still stands, replaying its events from the start. */
  async resume(designId: number): Promise<void> {
    this.reset();
    try {
      const latest = await this.life.latestStanding(designId);
      if (!latest) return;
      this.followed = stated(this.followed, latest.state);
      await this.predict();
      this.listen(latest.websocket);
      this.drawProgress();
    } catch (err) {
      this.app.status(`deployments: ${(err as Error).message}`, true);
    }
  }

  async teardown(): Promise<void> {
    if (this.life.id === null) return this.app.status("Nothing to tear down: this design is not deployed.", true);
    try {
      const out = await this.life.teardown(this.life.id);
      this.followed = stated(this.followed, out.state);
      this.drawProgress();
    } catch (err) {
      this.app.status(`Tear down refused: ${(err as Error).message}`, true);
    }
    this.life.refreshStanding();
  }

  /** Follows the deployment's events from the start; after a dropped connection, resumes after the last one applied. */
  private listen(path: string): void {
    this.followed = { ...this.followed, cursor: "0" };
    this.life.follow(
      path,
      () => this.followed.cursor,
      (m) => this.received(m),
      (code) => this.app.status(`the site refused the event stream of deployment ${this.life.id} (${code})`, true),
    );
  }

  /** Applies one message (the reducer) and redraws what it changed; a message already applied changes nothing. */
  private received(message: Message): void {
    const next = reduce(this.followed, message);
    if (next === this.followed) return;
    this.followed = next;
    const ev = message.event;
    if (ev.kind === "probe") return this.view.probed(ev);
    if (ev.kind === "deployment") {
      this.app.status(
        `deployment #${this.life.id}: ${stateWords(ev.state)}${ev.detail ? ` — ${ev.detail}` : ""}`,
        ev.state === "failed",
      );
      this.life.refreshStanding();
    }
    this.drawProgress();
    if (ev.kind === "deployment" && ev.state === "torn_down") {
      this.life.stop();
      this.view.draw();
    }
  }

  private drawProgress(): void {
    drawProgress(this.progressBox, this.life.id, this.followed);
  }
}
