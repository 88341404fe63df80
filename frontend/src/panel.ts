/**
 * The properties panel: every field of the YAML format for the selected element (or the design
 * itself), with IPAM's choices as placeholders for addresses the user left empty.
 */
import type { Allocation } from "./api";
import { clear, h } from "./dom";
import type { Issue } from "./issues";
import * as fields from "./fields";
import {
  type Attachment,
  type Design,
  MODES,
  type Ref,
  type RouteSpec,
  checkName,
  connect,
  disconnect,
  refId,
  rename,
  routeBetween,
  setField,
} from "./model";

export interface PanelHost {
  /** Makes one undoable change; answers why it was refused, or null. */
  edit(change: (d: Design) => void, select?: string): string | null;
  select(id: string | null): void;
  /** The user is done with the form: the keyboard goes back to the drawing. */
  back(): void;
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
type Control = Field | HTMLButtonElement;

/** "key value" lines ↔ a map (addresses, aux_addresses). */
function pairsText(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join("\n");
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
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const m = /^(\S+)\s+(?:via\s+)?(\S+)$/.exec(line);
      if (!m) throw new Error(`routes, line ${i + 1}: write "172.16.30.0/24 via 172.16.10.1", got "${line}"`);
      return { to: m[1], via: m[2] };
    });
}
export function parseVlans(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 4094)
        throw new Error(`vlans: '${v}' is not a VLAN id (1-4094)`);
      return Number(v);
    });
}

type Draft = { value: string; error: string };

function isField(el: Element): el is Field {
  return el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement;
}

/** Checks every key and value of a "name value" map; the error names the line's key. */
export function checkPairs(
  map: Record<string, string>,
  what: string,
  key: (k: string) => string,
  value: (v: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    try {
      out[key(k)] = value(v);
    } catch (err) {
      throw new Error(`${what}, ${k}: ${(err as Error).message}`);
    }
  }
  return out;
}

export function checkRoutes(routes: RouteSpec[]): RouteSpec[] {
  return routes.map((r, i) => {
    try {
      return { to: r.to === "default" ? r.to : fields.network(r.to), via: fields.ip(r.via) };
    } catch (err) {
      throw new Error(`routes, line ${i + 1}: ${(err as Error).message}`);
    }
  });
}

function ifname(text: string): string {
  checkName("nics", text);
  return text;
}

/** The shape of a form: its elements' tags, names and types, without text or values. */
function shape(el: Element): string {
  const kids = el instanceof HTMLTextAreaElement ? "" : [...el.children].map(shape).join(",");
  return `${el.tagName}:${el.getAttribute("name") ?? ""}:${el.getAttribute("type") ?? ""}(${kids})`;
}

/** Copies `fresh`'s text, classes and field values onto `old` (the same shape), except the field being edited. */
function patch(old: Element, fresh: Element, editing: Element | null): void {
  if (old === editing) return;
  if (old.className !== fresh.className) old.className = fresh.className;
  if (isField(old) && isField(fresh)) {
    if (old instanceof HTMLSelectElement)
      [...old.children].forEach((o, i) => {
        patch(o, fresh.children[i], editing);
      });
    if (old instanceof HTMLInputElement && fresh instanceof HTMLInputElement) {
      old.checked = fresh.checked;
      old.placeholder = fresh.placeholder;
    }
    old.value = fresh.value;
    if (fresh.dataset.committed !== undefined) old.dataset.committed = fresh.dataset.committed;
  } else if (!old.children.length) {
    if (old.textContent !== fresh.textContent) old.textContent = fresh.textContent;
  } else {
    [...old.children].forEach((child, i) => {
      patch(child, fresh.children[i], editing);
    });
  }
}

export class PropertiesPanel {
  /** The element the form edits; its handlers read it when they run, so a rename keeps them right. */
  private live: Ref | null = null;
  private shownId: string | null = null;
  private readonly title = h("h2", {});
  private readonly here = h("div", {});
  private form = h("div", { class: "form" });
  private readonly extra = h("div", {});
  /** What the user typed that the design refused, per field, until fixed or another element is shown. */
  private drafts = new Map<string, Draft>();
  /** The id the shown element was just renamed to (its drafts stay). */
  private renamedTo: string | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly app: PanelHost,
  ) {
    root.append(this.title, this.here, this.form, this.extra);
  }

  /**
   * Shows `ref`'s properties (the design's when null). When the element and the form's shape are
   * the same as shown, the form is updated in place and the field being edited is left alone:
   * focus, caret and what is typed survive every change and every validation answer.
   */
  show(d: Design, ref: Ref | null, issues: Issue[], alloc: Allocation, extra: Node | null = null): void {
    const id = ref ? refId(ref) : null;
    if (id !== this.shownId && id !== this.renamedTo) this.drafts.clear();
    this.shownId = id;
    this.renamedTo = null;
    this.title.textContent = ref ? `${ref.kind.slice(0, -1)} ${ref.name}` : `design ${d.name}`;
    clear(this.here);
    if (issues.length) {
      this.here.append(
        h(
          "ul",
          { class: "issues here" },
          ...issues.map((i) =>
            h(
              "li",
              { class: i.severity },
              `${i.path}: ${i.message}`,
              i.hint ? h("div", { class: "hint" }, i.hint) : null,
            ),
          ),
        ),
      );
    }
    const live = ref ? { ...ref } : null;
    const form = h("div", { class: "form" });
    if (!live) this.designForm(form, d);
    else if (live.kind === "hosts") this.hostForm(form, d, live);
    else if (live.kind === "nics") this.nicForm(form, d, live);
    else if (live.kind === "segments") this.segmentForm(form, d, live);
    else if (live.kind === "networks") this.networkForm(form, d, live);
    else this.endpointForm(form, d, live);
    this.fillPlaceholders(form, alloc);
    const active = document.activeElement;
    const editing = active && this.form.contains(active) ? active : null;
    const sameKind = (live === null) === (this.live === null) && (!live || live.kind === this.live!.kind);
    if (sameKind && shape(form) === shape(this.form)) {
      patch(this.form, form, editing);
      if (live && this.live) Object.assign(this.live, live);
    } else {
      const name = editing?.getAttribute("name");
      const caret =
        editing instanceof HTMLInputElement || editing instanceof HTMLTextAreaElement
          ? [editing.selectionStart, editing.selectionEnd]
          : null;
      this.form.replaceWith(form);
      this.form = form;
      this.live = live;
      const again = name ? form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`) : null;
      if (again) {
        if (isField(again) && isField(editing!) && editing.value !== editing.dataset.committed)
          again.value = editing.value;
        again.focus();
        if (caret && (again instanceof HTMLInputElement || again instanceof HTMLTextAreaElement)) {
          again.setSelectionRange(caret[0], caret[1]);
        }
      }
    }
    for (const [name, draft] of this.drafts) {
      const field = this.form.querySelector<Field>(`[name="${CSS.escape(name)}"]`);
      if (field && field !== document.activeElement) field.value = draft.value;
      if (field) this.showError(field, draft.error);
    }
    if (this.extra.firstChild !== extra) {
      // (left in place when unchanged: its buttons keep focus)
      clear(this.extra);
      if (extra) this.extra.append(extra);
    }
  }

  focusName(): void {
    const input = this.root.querySelector<HTMLInputElement>("input[name=name]");
    input?.focus();
    input?.select();
  }

  private fillPlaceholders(form: HTMLElement, alloc: Allocation): void {
    for (const input of form.querySelectorAll<HTMLInputElement>("input[data-alloc]")) {
      const [ep, net, key] = input.dataset.alloc!.split("/");
      const value = alloc[ep]?.[net]?.[key as keyof Attachment];
      // IPAM answers addresses with their prefix; the field takes the address alone
      input.placeholder = value ? `${key === "mac" ? value : value.split("/")[0]} (ipam)` : "from IPAM";
    }
  }

  // ---- building blocks -------------------------------------------------------------

  private row<T extends Control>(form: HTMLElement, label: string, field: T, help = ""): T {
    const error = h("small", { class: "field-error", role: "alert" });
    form.append(h("label", { class: "row" }, h("span", {}, label), field, help ? h("small", {}, help) : null, error));
    return field;
  }

  private showError(field: Control, message: string): void {
    const box = field.parentElement?.querySelector(".field-error");
    if (box) box.textContent = message;
    field.classList.toggle("invalid", !!message);
    if (message) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }

  /**
   * Commits a field's value as one undoable edit; a refused value stays in the field with the
   * reason under it (and in the status bar) until the user fixes it.
   */
  private commit(field: Control, change: () => (d: Design) => void, select?: () => string): void {
    const name = field.getAttribute("name")!;
    let error: string | null;
    try {
      const edit = change();
      const next = select?.();
      this.renamedTo = next ?? null;
      error = this.app.edit(edit, next);
    } catch (err) {
      error = (err as Error).message;
    }
    if (error) {
      this.drafts.set(name, { value: field.value, error });
      this.showError(field, error);
    } else {
      this.drafts.delete(name);
      this.showError(field, "");
      field.dataset.committed = field.value;
    }
  }

  /**
   * A text field; its value, once checked by `check` (when not empty), is committed on Enter or
   * when the field is left, running `apply` inside one undoable edit.
   */
  private input(
    form: HTMLElement,
    label: string,
    value: string,
    apply: (d: Design, v: string) => void,
    opts: {
      name?: string;
      placeholder?: string;
      help?: string;
      multiline?: boolean;
      alloc?: string;
      check?: (v: string) => string;
      select?: (v: string) => string;
      required?: boolean;
    } = {},
  ): Field {
    const field: Field = opts.multiline
      ? h("textarea", { rows: 3, name: opts.name ?? label, placeholder: opts.placeholder ?? "" }, value)
      : h("input", {
          type: "text",
          name: opts.name ?? label,
          value,
          placeholder: opts.placeholder ?? "",
          "data-alloc": opts.alloc,
        });
    field.dataset.committed = value;
    const done = () => {
      if (field.value === field.dataset.committed && !this.drafts.has(field.name)) return;
      this.commit(
        field,
        () => {
          const raw = field.value.trim();
          if (!raw && opts.required) throw new Error(`${label} is needed`);
          const v = raw && opts.check ? opts.check(raw) : raw;
          return (d) => apply(d, v);
        },
        opts.select && (() => opts.select!(field.value.trim())),
      );
    };
    field.addEventListener("change", done);
    field.addEventListener("focusout", done);
    field.addEventListener("keydown", (ev) => {
      if ((ev as KeyboardEvent).key === "Enter" && !opts.multiline) done();
    });
    return this.row(form, label, field, opts.help);
  }

  private checkbox(form: HTMLElement, label: string, checked: boolean, apply: (d: Design, v: boolean) => void): void {
    const box = h("input", { type: "checkbox", name: label, checked });
    box.addEventListener("change", () => this.commit(box, () => (d) => apply(d, box.checked)));
    this.row(form, label, box);
  }

  private select(
    form: HTMLElement,
    label: string,
    value: string,
    options: string[],
    apply: (d: Design, v: string) => void,
  ): void {
    const sel = h(
      "select",
      { name: label },
      ...options.map((o) => h("option", { value: o, selected: o === value }, o || "(none)")),
    );
    sel.addEventListener("change", () => this.commit(sel, () => (d) => apply(d, sel.value)));
    this.row(form, label, sel);
  }

  /**
   * The name (an element's, or the design's when `ref` is null). A new element's name is focused
   * and selected, so typing replaces it: Enter takes the name and Esc the one it had, and both give
   * the keyboard back to the drawing, where the next shortcut works.
   */
  private nameField(form: HTMLElement, ref: Ref | null, value = ref?.name ?? ""): void {
    const field = ref
      ? this.input(
          form,
          "name",
          value,
          (d, v) => {
            rename(d, ref, v);
          },
          { name: "name", select: (v) => refId({ ...ref, name: v }) },
        )
      : this.input(
          form,
          "name",
          value,
          (d, v) => {
            d.name = v;
          },
          { name: "name" },
        );
    field.addEventListener("keydown", (ev) => {
      const key = (ev as KeyboardEvent).key;
      if (key === "Escape") {
        field.value = field.dataset.committed ?? "";
        this.drafts.delete("name");
        this.showError(field, "");
      }
      if (key === "Escape" || (key === "Enter" && !this.drafts.has("name"))) this.app.back();
    });
  }

  private routes(form: HTMLElement, ref: Ref, routes: RouteSpec[] | undefined): void {
    this.input(
      form,
      "routes",
      routesText(routes),
      (d, v) => setField(d, ref, ["routes"], checkRoutes(parseRoutes(v))),
      {
        multiline: true,
        placeholder: "172.16.30.0/24 via 172.16.10.1",
        help: "one per line: network (or default) via next hop",
      },
    );
  }

  // ---- forms -----------------------------------------------------------------------

  private designForm(form: HTMLElement, d: Design): void {
    this.nameField(form, null, d.name);
    this.input(
      form,
      "description",
      d.description ?? "",
      (x, v) => {
        if (v) x.description = v;
        else delete x.description;
      },
      { multiline: true },
    );
    form.append(
      h(
        "p",
        { class: "help" },
        "Select an element to edit it. Add elements with the toolbar, then click where they go.",
      ),
    );
  }

  private hostForm(form: HTMLElement, d: Design, ref: Ref): void {
    const host = d.hosts[ref.name];
    this.nameField(form, ref);
    form.append(
      h(
        "div",
        { class: "row" },
        h("span", {}, "nics"),
        h("span", {}, host.nics.join(", ") || "none"),
        h("small", {}, "add with + NIC; select a NIC to rename it"),
      ),
    );
    this.checkbox(form, "forwarding", !!host.forwarding, (x, v) => setField(x, ref, ["forwarding"], v));
    const route = h("button", { type: "button", name: "route" }, "Route between its networks");
    route.addEventListener("click", () =>
      this.commit(route, () => (x) => {
        routeBetween(x, ref.name);
      }),
    );
    this.row(
      form,
      "routing host",
      route,
      "forwarding on, and an address on each network its NICs carry: the network's gateway (its first address if none)",
    );
    this.input(
      form,
      "addresses",
      pairsText(host.addresses),
      (x, v) =>
        setField(
          x,
          ref,
          ["addresses"],
          checkPairs(parsePairs(v, "addresses"), "addresses", ifname, fields.hostInterface),
        ),
      {
        multiline: true,
        placeholder: "enp0s8.100 172.16.10.1/24",
        help: "one per line: interface (NIC or NIC.VID) and address/prefix",
      },
    );
    this.select(form, "shim network", host.shim?.network ?? "", ["", ...Object.keys(d.networks)], (x, v) =>
      setField(x, ref, ["shim"], v ? { network: v, ip: x.hosts[ref.name].shim?.ip ?? "" } : null),
    );
    if (host.shim) {
      this.input(form, "shim ip", host.shim.ip, (x, v) => setField(x, ref, ["shim", "ip"], v), {
        help: "lets the host reach its own macvlan children",
        check: fields.ip,
        required: true,
      });
    }
    this.routes(form, ref, host.routes);
  }

  private nicForm(form: HTMLElement, d: Design, ref: Ref): void {
    this.nameField(form, ref);
    const ports = Object.entries(d.segments)
      .filter(([, s]) => s.ports.includes(`${ref.host}.${ref.name}`))
      .map(([n]) => n);
    form.append(
      h(
        "div",
        { class: "row" },
        h("span", {}, "host"),
        h(
          "a",
          {
            href: "#",
            onclick: (ev: Event) => {
              ev.preventDefault();
              this.app.select(`hosts.${ref.host}`);
            },
          },
          ref.host!,
        ),
      ),
    );
    form.append(
      h(
        "div",
        { class: "row" },
        h("span", {}, "segments"),
        h("span", {}, ports.join(", ") || "not plugged in"),
        h("small", {}, "Connect: click this NIC, then a segment"),
      ),
    );
  }

  private segmentForm(form: HTMLElement, d: Design, ref: Ref): void {
    const seg = d.segments[ref.name];
    this.nameField(form, ref);
    this.input(
      form,
      "ports",
      seg.ports.join("\n"),
      (x, v) => {
        x.segments[ref.name].ports = v.split(/[\s,]+/).filter(Boolean);
      },
      { multiline: true, help: "host.nic, one per line (or Connect: NIC, then segment)" },
    );
    this.input(form, "vlans", (seg.vlans ?? []).join(", "), (x, v) => setField(x, ref, ["vlans"], parseVlans(v)), {
      placeholder: "100, 200",
      help: "802.1Q ids the wire carries tagged",
    });
    this.checkbox(form, "hairpin", !!seg.hairpin, (x, v) => setField(x, ref, ["hairpin"], v));
  }

  private networkForm(form: HTMLElement, d: Design, ref: Ref): void {
    const net = d.networks[ref.name];
    this.nameField(form, ref);
    this.input(form, "parent", net.parent, (x, v) => setField(x, ref, ["parent"], v), {
      help: "a NIC, or NIC.VID for an 802.1Q sub-interface",
      check: ifname,
      required: true,
    });
    this.select(form, "mode", net.mode ?? "bridge", MODES, (x, v) =>
      setField(x, ref, ["mode"], v === "bridge" ? null : v),
    );
    this.input(form, "subnet", net.subnet, (x, v) => setField(x, ref, ["subnet"], v), {
      check: fields.network,
      required: true,
      placeholder: "172.16.10.0/24",
    });
    this.input(form, "gateway", net.gateway ?? "", (x, v) => setField(x, ref, ["gateway"], v), {
      help: "none: no default route",
      check: fields.ip,
    });
    this.input(form, "ip_range", net.ip_range ?? "", (x, v) => setField(x, ref, ["ip_range"], v), {
      help: "bounds automatic addresses",
      check: fields.network,
    });
    this.input(
      form,
      "aux_addresses",
      pairsText(net.aux_addresses),
      (x, v) =>
        setField(
          x,
          ref,
          ["aux_addresses"],
          checkPairs(parsePairs(v, "aux_addresses"), "aux_addresses", (k) => k, fields.ip),
        ),
      { multiline: true, placeholder: "r 172.16.10.1", help: "name address, one per line; never handed out" },
    );
    this.input(form, "ipv6_subnet", net.ipv6_subnet ?? "", (x, v) => setField(x, ref, ["ipv6_subnet"], v), {
      check: fields.network,
    });
    this.input(form, "ipv6_gateway", net.ipv6_gateway ?? "", (x, v) => setField(x, ref, ["ipv6_gateway"], v), {
      check: fields.ip,
    });
  }

  private endpointForm(form: HTMLElement, d: Design, ref: Ref): void {
    const ep = ref.kind === "routers" ? d.routers[ref.name] : d.containers[ref.name];
    this.nameField(form, ref);
    this.select(form, "host", ep.host, Object.keys(d.hosts), (x, v) => {
      setField(x, ref, ["host"], v);
      delete x.layout[refId(ref)]; // drawn again beside its new host's other children
    });
    for (const [net, a] of Object.entries(ep.networks)) {
      const box = h("fieldset", {}, h("legend", {}, `on ${net}`));
      const check = {
        ip: (v: string) => fields.attachmentIp(v, d.networks[net]?.subnet),
        mac: fields.mac,
        ipv6: fields.ip,
      };
      for (const key of ["ip", "mac", "ipv6"] as const) {
        this.input(box, key, a[key] ?? "", (x, v) => setField(x, ref, ["networks", net, key], v), {
          name: `${net}.${key}`,
          alloc: `${ref.name}/${net}/${key}`,
          check: check[key],
        });
      }
      box.append(
        h(
          "button",
          { type: "button", onclick: () => this.app.edit((x) => disconnect(x, ref, { kind: "networks", name: net })) },
          `detach from ${net}`,
        ),
      );
      form.append(box);
    }
    const others = Object.keys(d.networks).filter((n) => !(n in ep.networks));
    if (others.length) {
      this.select(form, "attach to", "", ["", ...others], (x, v) => {
        if (v) connect(x, ref, { kind: "networks", name: v });
      });
    }
    if (!Object.keys(d.networks).length)
      form.append(h("p", { class: "help" }, "Add a network, then connect this endpoint to it."));
    this.routes(form, ref, ep.routes);
    if (ref.kind === "routers") {
      this.select(form, "masquerade", d.routers[ref.name].masquerade ?? "", ["", ...Object.keys(ep.networks)], (x, v) =>
        setField(x, ref, ["masquerade"], v),
      );
    }
  }
}
