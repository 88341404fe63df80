/**
 * Deploy and watch: pick the sandbox or an agent per host, deploy, follow each host's steps
 * and the reachability matrix as events stream in over the websocket, tear down.
 */
import { type Agent, ApiError, api } from "./api";
import type { components } from "./api/schema";
import { clear, h } from "./dom";
import { Matrix, type Pair, cellState, pairKey } from "./matrix";
import { networkOf } from "./subnets";
import { LEGEND, cellMark, cellWords, keyboardGrid, reasonParts, reasonWords, summaryText } from "./matrixview";
import type { Design } from "./model";
import { entryAfter, reconnecting } from "./reconnect";
import { DeploymentList, stateWords } from "./deployments";

export interface DeployHost {
  design(): Design;
  /** Saves the design if it changed and answers its id. */
  saved(): Promise<number>;
  highlight(ids: string[]): void;
  results(states: Map<string, "ok" | "bad">): void;
  status(message: string, error?: boolean): void;
}

/** One message of the deployment's websocket: a stream entry's id (the cursor) and its event. */
type Message = components["schemas"]["DeploymentMessage"];
type Event = Message["event"];
type StepEvent = components["schemas"]["StepEvent"];
type FinishedEvent = components["schemas"]["FinishedEvent"];

const MAX_AXIS = 40;
const MAX_MISMATCHES_LISTED = 20;
const ICON: Record<string, string> = { started: "…", done: "✓", failed: "✗" };

/** The drawn element of a matrix endpoint (a container, a router, or a host's own address). */
export function endpointId(d: Design, name: string): string {
  return name in d.containers ? `containers.${name}` : name in d.routers ? `routers.${name}` : `hosts.${name}`;
}

/**
 * Each attachment (`attach:<endpoint>|networks.<net>` edge) coloured by the probes to its address:
 * "ok" when every one behaved as predicted, "bad" when any did not; unprobed ones are left out.
 */
export function attachmentResults(d: Design, matrix: Matrix): Map<string, "ok" | "bad"> {
  const states = new Map<string, "ok" | "bad">();
  for (const p of matrix.pairs.values()) {
    const state = cellState(p);
    const net = networkOf(d, p.dst_ip);
    if (state === "pending" || !net) continue;
    const edge = `attach:${endpointId(d, p.dst)}|networks.${net}`;
    if (state === "missing" || state === "unexpected") states.set(edge, "bad");
    else if (!states.has(edge)) states.set(edge, "ok");
  }
  return states;
}

export class DeployPanel {
  matrix = new Matrix();
  private agents: Agent[] = [];
  private deployment: string | number | null = null;
  private state = "";
  /** Stops following the deployment's events (null: not following). */
  private unfollow: (() => void) | null = null;
  /** The entry id of the last event applied: a reconnect resumes after it. */
  private cursor = "0";
  private steps = new Map<string, Map<string, StepEvent>>();
  private finished = new Map<string, FinishedEvent>();
  private cells = new Map<string, HTMLTableCellElement>();
  private filter = "";
  private redrawQueued = false;
  private readonly targetBox = h("div", { class: "target" });
  private readonly progressBox = h("div", { class: "progress" });
  private readonly summary = h("div", { class: "summary", id: "matrix-summary" });
  private readonly why = h("div", { class: "why", id: "matrix-why", "aria-live": "polite" },
    "Hover or focus a cell to see why a pair is reachable or not.");
  private readonly tableBox = h("div", { class: "matrix-box" });
  private readonly mismatches = h("ul", { class: "issues mismatches", id: "mismatches" });
  private readonly deployButton = h("button", { id: "deploy", onclick: () => void this.deploy() }, "Deploy");
  private readonly blocked = h("p", { class: "help blocked", id: "deploy-blocked", hidden: true });
  private readonly standing: DeploymentList;
  private designId: number | null = null;

  constructor(root: HTMLElement, private readonly app: DeployHost) {
    const filter = h("input", { type: "search", placeholder: "filter endpoints", class: "matrix-filter" });
    filter.addEventListener("input", () => { this.filter = filter.value.trim(); this.drawMatrix(); });
    this.standing = new DeploymentList((m, e) => this.app.status(m, e));
    root.append(
      h("h2", {}, "Deploy"), this.targetBox,
      h("div", { class: "buttons" },
        this.deployButton,
        h("button", { id: "teardown", onclick: () => void this.teardown() }, "Tear down"),
        h("button", { onclick: () => void this.predict() }, "Predict")),
      this.blocked, this.standing.root,
      this.progressBox,
      h("h2", {}, "Reachability"), this.summary, h("p", { class: "hint", id: "matrix-legend" }, LEGEND),
      this.mismatches, this.why, filter, this.tableBox,
    );
    this.drawTarget();
  }

  // ---- target --------------------------------------------------------------------

  async refreshAgents(): Promise<void> {
    try {
      this.agents = await api.agents();
    } catch (err) {
      this.app.status(`agents: ${(err as Error).message}`, true);
    }
    this.drawTarget();
  }

  private drawTarget(): void {
    const d = this.app.design();
    const sandbox = this.targetBox.querySelector<HTMLInputElement>("input[value=sandbox]")?.checked ?? true;
    const chosen = new Map([...this.targetBox.querySelectorAll<HTMLSelectElement>("select[data-host]")].map((s) => [s.dataset.host!, s.value]));
    clear(this.targetBox);
    const radio = (value: string, label: string, checked: boolean) => h("label", {},
      h("input", { type: "radio", name: "target", value, checked, onchange: () => this.drawTarget() }), ` ${label}`);
    this.targetBox.append(radio("sandbox", "lab sandbox (namespaces on the site's machine)", sandbox),
      radio("agents", "agents (one per real host)", !sandbox));
    if (sandbox) return;
    const describe = (a: Agent) => {
      const f = a.facts;
      const caps = f ? `kernel ${f.kernel}; macvlan ${f.macvlan ? "✓" : "✗"}; 802.1Q ${f.vlan_8021q ? "✓" : "✗"}; NICs ${f.nics.map((n) => n.name).join(", ")}` : "no facts yet";
      return `${a.alive ? "●" : "○"} ${a.name} (${a.alive ? "alive" : "not seen"}) — ${caps}`;
    };
    // the site lists only the agents granted to this user; lab agents build sandboxes, not real hosts
    const usable = this.agents.filter((a) => !a.sandbox);
    const table = h("table", { class: "agents" });
    for (const host of Object.keys(d.hosts)) {
      const sel = h("select", { "data-host": host },
        h("option", { value: "" }, "(choose an agent)"),
        ...usable.map((a) => h("option", { value: a.name, selected: chosen.get(host) === a.name, disabled: !a.alive }, describe(a))));
      table.append(h("tr", {}, h("td", {}, host), h("td", {}, sel)));
    }
    this.targetBox.append(table, h("button", { onclick: () => void this.refreshAgents() }, "Refresh agents"));
    if (!usable.length) this.targetBox.append(h("p", { class: "help", id: "no-agents" }, "No agent is granted to you: an administrator grants agents (manage.py lab grant AGENT --user YOU)."));
  }

  private target(): { sandbox: true } | { agents: Record<string, string> } {
    if (this.targetBox.querySelector<HTMLInputElement>("input[value=sandbox]")?.checked !== false) return { sandbox: true };
    const agents: Record<string, string> = {};
    for (const sel of this.targetBox.querySelectorAll<HTMLSelectElement>("select[data-host]")) {
      if (!sel.value) throw new Error(`choose an agent for ${sel.dataset.host}`);
      agents[sel.dataset.host!] = sel.value;
    }
    return { agents };
  }

  /** Called when the design changes: the host list of the picker follows it. */
  designChanged(): void {
    this.drawTarget();
  }

  /** Deploy is refused, with `reason` shown beside it, while the design has errors (null: allowed). */
  block(reason: string | null): void {
    this.deployButton.disabled = reason !== null;
    this.deployButton.title = reason ?? "Save the design and deploy it";
    this.blocked.hidden = reason === null;
    this.blocked.textContent = reason ?? "";
  }

  private refreshStanding(): void {
    this.standing.refresh(this.designId, this.deployment)
      .catch((err) => this.app.status(`The design's deployments could not be listed: ${(err as Error).message}`, true));
  }

  // ---- deploy and watch ------------------------------------------------------------

  async predict(): Promise<void> {
    try {
      this.matrix.merge(await api.predict(this.app.design()));
      this.drawMatrix();
    } catch (err) {
      this.app.status(`predict: ${(err as Error).message}`, true);
    }
  }

  /** A fresh prediction of the design, unless a deployment's results are on show (they belong to its version)
   * or the design has errors (the site would refuse it). */
  async predictUnlessDeployed(): Promise<void> {
    if (this.deployment === null && !this.deployButton.disabled) await this.predict();
  }

  async deploy(): Promise<void> {
    try {
      const target = this.target();
      const id = await this.app.saved();
      this.designId = id;
      if (!(await this.standing.beforeDeploy(id))) return;
      this.matrix = new Matrix();
      await this.predict();
      this.steps.clear();
      this.finished.clear();
      const out = await api.deploy(id, target);
      this.deployment = out.id;
      this.state = out.state;
      this.app.status(`deployment #${out.id}: ${stateWords(out.state)}`);
      this.refreshStanding();
      this.listen(out.websocket);
      this.drawProgress();
    } catch (err) {
      const first = err instanceof ApiError ? err.issues.find((i) => i.severity === "error") : undefined;
      this.app.status(`Deploy refused: ${(err as Error).message}${first ? ` — ${first.path}: ${first.message}` : ""}`, true);
    }
  }

  /** Forgets the deployment shown (another design was opened). */
  reset(): void {
    this.stopListening();
    this.deployment = null;
    this.designId = null;
    this.matrix = new Matrix();
    this.steps.clear();
    this.finished.clear();
    this.drawProgress();
    this.drawMatrix();
    this.refreshStanding();
  }

  /** Shows the design's latest deployment that still stands, replaying its events from the start. */
  async resume(designId: number): Promise<void> {
    this.reset();
    this.designId = designId;
    this.refreshStanding();
    try {
      const latest = (await api.deployments(designId))[0];
      if (!latest || latest.state === "torn_down") return;
      this.deployment = latest.id;
      this.state = latest.state;
      await this.predict();
      this.listen(latest.websocket);
      this.drawProgress();
    } catch (err) {
      this.app.status(`deployments: ${(err as Error).message}`, true);
    }
  }

  async teardown(): Promise<void> {
    if (this.deployment === null) return this.app.status("Nothing to tear down: this design is not deployed.", true);
    try {
      const out = await api.teardown(this.deployment);
      this.state = out.state;
      this.drawProgress();
    } catch (err) {
      this.app.status(`Tear down refused: ${(err as Error).message}`, true);
    }
    this.refreshStanding();
  }

  /** Follows the deployment's events from the start; after a dropped connection (reconnect.ts),
   * resumes after the entry id of the last one applied. */
  private listen(path: string): void {
    this.stopListening();
    this.cursor = "0";
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.unfollow = reconnecting({
      url: () => `${scheme}://${location.host}${path}?after=${this.cursor}`,
      message: (data) => {
        const { id, event } = JSON.parse(data) as Message;
        if (!entryAfter(id, this.cursor)) return;
        this.cursor = id;
        this.apply(event);
      },
      refused: (code) => this.app.status(`the site refused the event stream of deployment ${this.deployment} (${code})`, true),
    });
  }

  private stopListening(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  private apply(ev: Event): void {
    if (ev.kind === "step") {
      if (!this.steps.has(ev.host)) this.steps.set(ev.host, new Map());
      this.steps.get(ev.host)!.set(ev.step, ev);
      this.drawProgress();
    } else if (ev.kind === "finished") {
      this.finished.set(ev.host, ev);
      this.drawProgress();
    } else if (ev.kind === "deployment") {
      this.state = ev.detail ? `${ev.state} — ${ev.detail}` : ev.state;
      this.app.status(`deployment #${this.deployment}: ${stateWords(ev.state)}${ev.detail ? ` — ${ev.detail}` : ""}`, ev.state === "failed");
      this.refreshStanding();
      this.drawProgress();
      if (ev.state === "torn_down") {
        this.stopListening();
        this.matrix.clearObserved();
        this.drawMatrix();
      }
    } else if (ev.kind === "probe") {
      const known = this.cells.has(pairKey(ev.src, ev.dst_ip));
      const pair = this.matrix.applyProbe(ev);
      this.paintCell(pair);
      if (ev.observed !== ev.expected) this.drawMismatches();
      if (!known) this.queueRedraw();
      else this.drawSummary();
      this.colourDrawing();
    }
  }

  private drawProgress(): void {
    clear(this.progressBox);
    if (this.deployment === null) return;
    const [state, detail] = this.state.split(" — ");
    const gone = state === "torn_down" || state === "tearing_down";
    this.progressBox.append(h("div", { class: "state", id: "deploy-state", "data-state": state, "data-deployment": this.deployment },
      `deployment #${this.deployment}: ${stateWords(state)}${detail ? ` — ${detail}` : ""}`));
    const hosts = new Set([...this.steps.keys(), ...this.finished.keys()]);
    for (const host of hosts) {
      const fin = this.finished.get(host);
      const steps = [...(this.steps.get(host)?.values() ?? [])];
      const list = h("ol", {}, ...steps.map((s) =>
        h("li", { class: s.status, title: s.detail ?? "" }, `${ICON[s.status]} ${s.step}`,
          s.detail ? h("small", {}, ` ${s.detail.length > 140 ? `${s.detail.slice(0, 140)}…` : s.detail}`) : null)));
      const failed = steps.some((s) => s.status === "failed");
      const busy = steps.some((s) => s.status === "started");
      const outcome = fin ? (fin.ok ? "done" : "failed") : failed ? "failed" : busy ? "started" : "done";
      const text = gone ? `${stateWords(state)}${state === "tearing_down" ? "…" : ""}`
        : fin ? (fin.ok ? "deployed" : `failed ${fin.detail ?? ""}`) : failed ? "a step failed" : busy ? "working…" : "steps done";
      this.progressBox.append(h("details", { open: outcome !== "done", class: "host-steps" },
        h("summary", { class: outcome }, `${host}: ${text}`), list));
    }
  }

  // ---- matrix --------------------------------------------------------------------

  private queueRedraw(): void {
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    requestAnimationFrame(() => { this.redrawQueued = false; this.drawMatrix(); });
  }

  private drawSummary(): void {
    const c = this.matrix.counts();
    this.summary.className = `summary ${c.missing + c.unexpected ? "bad" : ""}`;
    this.summary.textContent = summaryText(this.matrix);
  }

  /** Every pair that did not behave as predicted, with its reason; a click shows its path. */
  private drawMismatches(): void {
    clear(this.mismatches);
    const bad = [...this.matrix.pairs.values()].filter((p) => ["missing", "unexpected"].includes(cellState(p)));
    for (const p of bad.slice(0, MAX_MISMATCHES_LISTED)) {
      this.mismatches.append(h("li", { tabindex: 0, onclick: () => this.showWhy(p), onfocus: () => this.showWhy(p) },
        `${p.src} → ${p.dst} ${p.dst_ip}: ${p.expected ? "expected reachable, not reached" : "reached though it should not be"}`,
        h("div", { class: "hint" }, reasonWords(this.matrix, p))));
    }
    if (bad.length > MAX_MISMATCHES_LISTED) this.mismatches.append(h("li", {}, `… and ${bad.length - MAX_MISMATCHES_LISTED} more`));
  }

  drawMatrix(): void {
    this.drawSummary();
    this.drawMismatches();
    this.cells.clear();
    const had = this.tableBox.querySelector<HTMLTableCellElement>("td:focus")?.dataset;
    clear(this.tableBox);
    const match = (name: string) => !this.filter || name.includes(this.filter);
    const rows = [...this.matrix.endpoints.keys()].filter(match);
    const cols = this.matrix.columns().filter((c) => match(c.dst));
    if (!rows.length) return;
    const table = h("table", { class: "matrix", id: "matrix" });
    table.append(h("tr", {}, h("th", {}, "from \\ to"), ...cols.slice(0, MAX_AXIS).map((c) =>
      h("th", { class: "col", title: c.dst_ip }, h("span", {}, `${c.dst} ${c.dst_ip}`)))));
    for (const src of rows.slice(0, MAX_AXIS)) {
      const tr = h("tr", {}, h("th", {}, src));
      for (const c of cols.slice(0, MAX_AXIS)) {
        const td = h("td", { "data-src": src, "data-dst-ip": c.dst_ip });
        const pair = this.matrix.get(src, c.dst_ip);
        if (pair) {
          this.cells.set(pairKey(src, c.dst_ip), td);
          this.paintCell(pair);
          td.addEventListener("mouseenter", () => this.showWhy(this.matrix.get(src, c.dst_ip)!));
          td.addEventListener("mouseleave", () => this.app.highlight([]));
          td.addEventListener("blur", () => this.app.highlight([]));
        } else td.className = "none";
        tr.append(td);
      }
      table.append(tr);
    }
    keyboardGrid(table, (td) => this.showWhy(this.matrix.get(td.dataset.src!, td.dataset.dstIp!)!),
      had ? { src: had.src!, dstIp: had.dstIp! } : null);
    this.tableBox.append(table);
    if (rows.length > MAX_AXIS || cols.length > MAX_AXIS) {
      this.tableBox.append(h("p", { class: "help" }, `Showing ${Math.min(rows.length, MAX_AXIS)} of ${rows.length} sources and ` +
        `${Math.min(cols.length, MAX_AXIS)} of ${cols.length} addresses: type a name to filter.`));
    }
    this.colourDrawing();
  }

  private paintCell(pair: Pair): void {
    const td = this.cells.get(pairKey(pair.src, pair.dst_ip));
    if (!td) return;
    const state = cellState(pair);
    td.className = `cell ${state} ${pair.expected ? "expect-reach" : "expect-block"}`;
    td.dataset.state = state;
    td.textContent = cellMark(pair);
    td.title = cellWords(pair, reasonWords(this.matrix, pair));
    td.setAttribute("aria-label", td.title);
  }

  private showWhy(pair: Pair): void {
    const d = this.app.design();
    const observed = pair.observed === null ? "" : pair.observed
      ? ` — observed: reached${pair.ttl != null ? `, TTL ${pair.ttl}` : ""}${pair.rtt_ms != null ? `, ${pair.rtt_ms.toFixed(2)} ms` : ""}`
      : " — observed: not reached";
    this.why.textContent = `${pair.src} → ${pair.dst} (${pair.dst_ip}): ${pair.expected ? "expected reachable" : "expected unreachable"}; ${reasonWords(this.matrix, pair)}${observed}`;
    const parts = reasonParts(this.matrix, pair);
    this.app.highlight([...parts.endpoints.map((n) => endpointId(d, n)), ...parts.networks.map((n) => `networks.${n}`)]);
  }

  private colourDrawing(): void {
    this.app.results(attachmentResults(this.app.design(), this.matrix));
  }
}
