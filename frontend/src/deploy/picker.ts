/** Where to deploy: the lab sandbox, or one granted agent per host of the design. */
import { type Agent, api } from "../api";
import { clear, h } from "../dom";
import type { Design } from "../model";

export type Target = Parameters<typeof api.deploy>[1];

/** An agent in the picker: alive or not, and what its facts say it can do. */
function describe(a: Agent): string {
  const f = a.facts;
  const caps = f
    ? `kernel ${f.kernel}; macvlan ${f.macvlan ? "✓" : "✗"}; 802.1Q ${f.vlan_8021q ? "✓" : "✗"}; NICs ${f.nics.map((n) => n.name).join(", ")}`
    : "no facts yet";
  return `${a.alive ? "●" : "○"} ${a.name} (${a.alive ? "alive" : "not seen"}) — ${caps}`;
}

export class TargetPicker {
  readonly root = h("div", { class: "target" });
  private agents: Agent[] = [];

  constructor(
    private readonly design: () => Design,
    private readonly say: (message: string, error?: boolean) => void,
  ) {
    this.draw();
  }

  async refresh(): Promise<void> {
    try {
      this.agents = await api.agents();
    } catch (err) {
      this.say(`agents: ${(err as Error).message}`, true);
    }
    this.draw();
  }

  /** Redraws the choice, keeping what was chosen; the host list follows the design. */
  draw(): void {
    const d = this.design();
    const sandbox = this.root.querySelector<HTMLInputElement>("input[value=sandbox]")?.checked ?? true;
    const chosen = new Map(
      [...this.root.querySelectorAll<HTMLSelectElement>("select[data-host]")].map((s) => [s.dataset.host!, s.value]),
    );
    clear(this.root);
    const radio = (value: string, label: string, checked: boolean) =>
      h(
        "label",
        {},
        h("input", { type: "radio", name: "target", value, checked, onchange: () => this.draw() }),
        ` ${label}`,
      );
    this.root.append(
      radio("sandbox", "lab sandbox (namespaces on the site's machine)", sandbox),
      radio("agents", "agents (one per real host)", !sandbox),
    );
    if (sandbox) return;
    // the site lists only the agents granted to this user; lab agents build sandboxes, not real hosts
    const usable = this.agents.filter((a) => !a.sandbox);
    const table = h("table", { class: "agents" });
    for (const host of Object.keys(d.hosts)) {
      const sel = h(
        "select",
        { "data-host": host },
        h("option", { value: "" }, "(choose an agent)"),
        ...usable.map((a) =>
          h("option", { value: a.name, selected: chosen.get(host) === a.name, disabled: !a.alive }, describe(a)),
        ),
      );
      table.append(h("tr", {}, h("td", {}, host), h("td", {}, sel)));
    }
    this.root.append(table, h("button", { onclick: () => void this.refresh() }, "Refresh agents"));
    if (!usable.length)
      this.root.append(
        h(
          "p",
          { class: "help", id: "no-agents" },
          "No agent is granted to you: an administrator grants agents (manage.py lab grant AGENT --user YOU).",
        ),
      );
  }

  /** The chosen target; throws, naming the host, when a host has no agent chosen. */
  target(): Target {
    if (this.root.querySelector<HTMLInputElement>("input[value=sandbox]")?.checked !== false) return { sandbox: true };
    const agents: Record<string, string> = {};
    for (const sel of this.root.querySelectorAll<HTMLSelectElement>("select[data-host]")) {
      if (!sel.value) throw new Error(`choose an agent for ${sel.dataset.host}`);
      agents[sel.dataset.host!] = sel.value;
    }
    return { agents };
  }
}
