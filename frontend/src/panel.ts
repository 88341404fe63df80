/**
 * The properties panel: every field of the YAML format for the selected element (or the design
 * itself), with IPAM's choices as placeholders for addresses the user left empty.
 */
import type { Allocation } from "./api";
import { clear, h } from "./dom";
import type { Issue } from "./issues";
import {
  type Attachment, type Design, MODES, type Ref, type RouteSpec, connect, disconnect, refId, rename, setField,
} from "./model";

export interface PanelHost {
  edit(change: (d: Design) => void, select?: string): void;
  select(id: string | null): void;
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** "key value" lines ↔ a map (addresses, aux_addresses). */
function pairsText(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {}).map(([k, v]) => `${k} ${v}`).join("\n");
}
export function parsePairs(text: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([^\s=]+)\s*[=\s]\s*(\S+)$/.exec(line);
    if (!m) throw new Error(`${what}, line ${i + 1}: write "name value", got "${line}"`);
    out[m[1]] = m[2];
  }
  return out;
}
function routesText(routes: RouteSpec[] | undefined): string {
  return (routes ?? []).map((r) => `${r.to} via ${r.via}`).join("\n");
}
export function parseRoutes(text: string): RouteSpec[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line, i) => {
    const m = /^(\S+)\s+(?:via\s+)?(\S+)$/.exec(line);
    if (!m) throw new Error(`routes, line ${i + 1}: write "172.16.30.0/24 via 172.16.10.1", got "${line}"`);
    return { to: m[1], via: m[2] };
  });
}
export function parseVlans(text: string): number[] {
  return text.split(/[\s,]+/).filter(Boolean).map((v) => {
    if (!/^\d+$/.test(v)) throw new Error(`vlans: '${v}' is not a VLAN id (1-4094)`);
    return Number(v);
  });
}

export class PropertiesPanel {
  private ref: Ref | null = null;

  constructor(private readonly root: HTMLElement, private readonly app: PanelHost) {}

  /** Redraws the form, unless the user is typing in it (then only IPAM placeholders change). */
  show(d: Design, ref: Ref | null, issues: Issue[], alloc: Allocation, force = false): void {
    const typing = this.root.contains(document.activeElement) && document.activeElement !== document.body;
    if (typing && !force && this.ref && ref && refId(this.ref) === refId(ref)) {
      this.fillPlaceholders(alloc);
      return;
    }
    this.ref = ref;
    clear(this.root);
    this.root.append(h("h2", {}, ref ? `${ref.kind.slice(0, -1)} ${ref.name}` : `design ${d.name}`));
    if (issues.length) {
      this.root.append(h("ul", { class: "issues here" }, ...issues.map((i) =>
        h("li", { class: i.severity }, `${i.path}: ${i.message}`, i.hint ? h("div", { class: "hint" }, i.hint) : null))));
    }
    const form = h("div", { class: "form" });
    this.root.append(form);
    if (!ref) this.designForm(form, d);
    else if (ref.kind === "hosts") this.hostForm(form, d, ref);
    else if (ref.kind === "nics") this.nicForm(form, d, ref);
    else if (ref.kind === "segments") this.segmentForm(form, d, ref);
    else if (ref.kind === "networks") this.networkForm(form, d, ref);
    else this.endpointForm(form, d, ref);
    this.fillPlaceholders(alloc);
  }

  focusName(): void {
    const input = this.root.querySelector<HTMLInputElement>("input[name=name]");
    input?.focus();
    input?.select();
  }

  private fillPlaceholders(alloc: Allocation): void {
    for (const input of this.root.querySelectorAll<HTMLInputElement>("input[data-alloc]")) {
      const [ep, net, key] = input.dataset.alloc!.split("/");
      const value = alloc[ep]?.[net]?.[key as keyof Attachment];
      input.placeholder = value ? `${value} (ipam)` : "from IPAM";
    }
  }

  // ---- building blocks -------------------------------------------------------------

  private row(form: HTMLElement, label: string, field: Field, help = ""): Field {
    form.append(h("label", { class: "row" }, h("span", {}, label), field, help ? h("small", {}, help) : null));
    return field;
  }

  /** A field whose committed value (on change) runs `apply` inside one undoable edit. */
  private input(form: HTMLElement, label: string, value: string, apply: (d: Design, v: string) => void,
    opts: { name?: string; placeholder?: string; help?: string; multiline?: boolean; alloc?: string } = {}): Field {
    const field: Field = opts.multiline
      ? h("textarea", { rows: 3, name: opts.name ?? label, placeholder: opts.placeholder ?? "" }, value)
      : h("input", { type: "text", name: opts.name ?? label, value, placeholder: opts.placeholder ?? "",
        "data-alloc": opts.alloc });
    field.addEventListener("change", () => this.app.edit((d) => apply(d, field.value.trim())));
    field.addEventListener("keydown", (ev) => {
      if ((ev as KeyboardEvent).key === "Enter" && !opts.multiline) (field as HTMLInputElement).blur();
    });
    return this.row(form, label, field, opts.help);
  }

  private checkbox(form: HTMLElement, label: string, checked: boolean, apply: (d: Design, v: boolean) => void): void {
    const box = h("input", { type: "checkbox", name: label, checked });
    box.addEventListener("change", () => this.app.edit((d) => apply(d, box.checked)));
    this.row(form, label, box);
  }

  private select(form: HTMLElement, label: string, value: string, options: string[], apply: (d: Design, v: string) => void): void {
    const sel = h("select", { name: label }, ...options.map((o) => h("option", { value: o, selected: o === value }, o || "(none)")));
    sel.addEventListener("change", () => this.app.edit((d) => apply(d, sel.value)));
    this.row(form, label, sel);
  }

  private nameField(form: HTMLElement, ref: Ref): void {
    const field = h("input", { type: "text", name: "name", value: ref.name });
    field.addEventListener("change", () => {
      this.app.edit((d) => { rename(d, ref, field.value.trim()); }, refId({ ...ref, name: field.value.trim() }));
    });
    field.addEventListener("keydown", (ev) => { if (ev.key === "Enter") field.blur(); });
    this.row(form, "name", field);
  }

  private routes(form: HTMLElement, ref: Ref, routes: RouteSpec[] | undefined): void {
    this.input(form, "routes", routesText(routes), (d, v) => setField(d, ref, ["routes"], parseRoutes(v)),
      { multiline: true, placeholder: "172.16.30.0/24 via 172.16.10.1", help: "one per line: network (or default) via next hop" });
  }

  // ---- forms -----------------------------------------------------------------------

  private designForm(form: HTMLElement, d: Design): void {
    this.input(form, "name", d.name, (x, v) => { x.name = v; }, { name: "name" });
    this.input(form, "description", d.description ?? "", (x, v) => { if (v) x.description = v; else delete x.description; },
      { multiline: true });
    form.append(h("p", { class: "help" }, "Select an element to edit it. Add elements with the toolbar, then click where they go."));
  }

  private hostForm(form: HTMLElement, d: Design, ref: Ref): void {
    const host = d.hosts[ref.name];
    this.nameField(form, ref);
    form.append(h("div", { class: "row" }, h("span", {}, "nics"), h("span", {}, host.nics.join(", ") || "none"),
      h("small", {}, "add with + NIC; select a NIC to rename it")));
    this.checkbox(form, "forwarding", !!host.forwarding, (x, v) => setField(x, ref, ["forwarding"], v));
    this.input(form, "addresses", pairsText(host.addresses),
      (x, v) => setField(x, ref, ["addresses"], parsePairs(v, "addresses")),
      { multiline: true, placeholder: "enp0s8.100 172.16.10.1/24", help: "one per line: interface (NIC or NIC.VID) and address/prefix" });
    this.select(form, "shim network", host.shim?.network ?? "", ["", ...Object.keys(d.networks)],
      (x, v) => setField(x, ref, ["shim"], v ? { network: v, ip: x.hosts[ref.name].shim?.ip ?? "" } : null));
    if (host.shim) {
      this.input(form, "shim ip", host.shim.ip, (x, v) => setField(x, ref, ["shim", "ip"], v),
        { help: "lets the host reach its own macvlan children" });
    }
    this.routes(form, ref, host.routes);
  }

  private nicForm(form: HTMLElement, d: Design, ref: Ref): void {
    this.nameField(form, ref);
    const ports = Object.entries(d.segments).filter(([, s]) => s.ports.includes(`${ref.host}.${ref.name}`)).map(([n]) => n);
    form.append(h("div", { class: "row" }, h("span", {}, "host"), h("a", { href: "#", onclick: (ev: Event) => {
      ev.preventDefault(); this.app.select(`hosts.${ref.host}`);
    } }, ref.host!)));
    form.append(h("div", { class: "row" }, h("span", {}, "segments"), h("span", {}, ports.join(", ") || "not plugged in"),
      h("small", {}, "Connect: click this NIC, then a segment")));
  }

  private segmentForm(form: HTMLElement, d: Design, ref: Ref): void {
    const seg = d.segments[ref.name];
    this.nameField(form, ref);
    this.input(form, "ports", seg.ports.join("\n"),
      (x, v) => { x.segments[ref.name].ports = v.split(/[\s,]+/).filter(Boolean); },
      { multiline: true, help: "host.nic, one per line (or Connect: NIC, then segment)" });
    this.input(form, "vlans", (seg.vlans ?? []).join(", "), (x, v) => setField(x, ref, ["vlans"], parseVlans(v)),
      { placeholder: "100, 200", help: "802.1Q ids the wire carries tagged" });
    this.checkbox(form, "hairpin", !!seg.hairpin, (x, v) => setField(x, ref, ["hairpin"], v));
  }

  private networkForm(form: HTMLElement, d: Design, ref: Ref): void {
    const net = d.networks[ref.name];
    this.nameField(form, ref);
    this.input(form, "parent", net.parent, (x, v) => setField(x, ref, ["parent"], v),
      { help: "a NIC, or NIC.VID for an 802.1Q sub-interface" });
    this.select(form, "mode", net.mode ?? "bridge", MODES, (x, v) => setField(x, ref, ["mode"], v === "bridge" ? null : v));
    this.input(form, "subnet", net.subnet, (x, v) => setField(x, ref, ["subnet"], v));
    this.input(form, "gateway", net.gateway ?? "", (x, v) => setField(x, ref, ["gateway"], v), { help: "none: no default route" });
    this.input(form, "ip_range", net.ip_range ?? "", (x, v) => setField(x, ref, ["ip_range"], v),
      { help: "bounds automatic addresses" });
    this.input(form, "aux_addresses", pairsText(net.aux_addresses),
      (x, v) => setField(x, ref, ["aux_addresses"], parsePairs(v, "aux_addresses")),
      { multiline: true, placeholder: "r 172.16.10.1", help: "name address, one per line; never handed out" });
    this.input(form, "ipv6_subnet", net.ipv6_subnet ?? "", (x, v) => setField(x, ref, ["ipv6_subnet"], v));
    this.input(form, "ipv6_gateway", net.ipv6_gateway ?? "", (x, v) => setField(x, ref, ["ipv6_gateway"], v));
  }

  private endpointForm(form: HTMLElement, d: Design, ref: Ref): void {
    const ep = ref.kind === "routers" ? d.routers[ref.name] : d.containers[ref.name];
    this.nameField(form, ref);
    this.select(form, "host", ep.host, Object.keys(d.hosts), (x, v) => {
      setField(x, ref, ["host"], v);
      delete x.layout[refId(ref)];  // drawn again beside its new host's other children
    });
    for (const [net, a] of Object.entries(ep.networks)) {
      const box = h("fieldset", {}, h("legend", {}, `on ${net}`));
      for (const key of ["ip", "mac", "ipv6"] as const) {
        this.input(box, key, a[key] ?? "", (x, v) => setField(x, ref, ["networks", net, key], v),
          { name: `${net}.${key}`, alloc: `${ref.name}/${net}/${key}` });
      }
      box.append(h("button", { type: "button", onclick: () => this.app.edit((x) => disconnect(x, ref, { kind: "networks", name: net })) },
        `detach from ${net}`));
      form.append(box);
    }
    const others = Object.keys(d.networks).filter((n) => !(n in ep.networks));
    if (others.length) {
      this.select(form, "attach to", "", ["", ...others], (x, v) => { if (v) connect(x, ref, { kind: "networks", name: v }); });
    }
    if (!Object.keys(d.networks).length) form.append(h("p", { class: "help" }, "Add a network, then connect this endpoint to it."));
    this.routes(form, ref, ep.routes);
    if (ref.kind === "routers") {
      this.select(form, "masquerade", d.routers[ref.name].masquerade ?? "", ["", ...Object.keys(ep.networks)],
        (x, v) => setField(x, ref, ["masquerade"], v));
    }
  }
}
