/**
 * The drawing of a design: Cytoscape element definitions (hosts as compound nodes holding
 * their NICs, containers and routers; segments and networks outside) and positions for
 * elements the design's `layout` does not place yet.
 */
import type { Allocation } from "./api";
import { networkOf } from "./explain";
import { type Design, type Position, baseNic, refId } from "./model";

export interface NodeDef {
  group: "nodes";
  data: { id: string; label: string; kind: string; parent?: string };
  classes: string;
  position?: Position;
}
export interface EdgeDef {
  group: "edges";
  data: { id: string; source: string; target: string; kind: string; label?: string };
  classes: string;
}
export type ElementDef = NodeDef | EdgeDef;

const GAP = 110;
const MAX_HOSTS_WITH_PARENT_LINES = 12;

/** A readable default place for every element: segments on top, hosts in a grid, networks below. */
export function autoLayout(d: Design): Record<string, Position> {
  const out: Record<string, Position> = {};
  const hosts = Object.keys(d.hosts);
  const members = new Map(hosts.map((h) => [h, [] as string[]]));
  for (const [kind, map] of [["containers", d.containers], ["routers", d.routers]] as const) {
    for (const [name, e] of Object.entries(map)) members.get(e.host)?.push(`${kind}.${name}`);
  }
  const inner = Math.max(1, ...[...members.values()].map((m) => Math.ceil(Math.sqrt(m.length))));
  const nicCols = Math.max(1, ...hosts.map((h) => d.hosts[h].nics.length));
  const cellW = (Math.max(inner, nicCols) + 1) * GAP;
  const cellH = (Math.ceil(Math.max(1, ...[...members.values()].map((m) => m.length)) / inner) + 2) * GAP;
  const cols = hosts.length <= 4 ? Math.max(1, hosts.length) : Math.ceil(Math.sqrt(hosts.length));
  hosts.forEach((h, i) => {
    const x0 = (i % cols) * cellW;
    const y0 = Math.floor(i / cols) * cellH;
    out[`hosts.${h}`] = { x: x0, y: y0 };
    d.hosts[h].nics.forEach((nic, j) => { out[refId({ kind: "nics", host: h, name: nic })] = { x: x0 + j * GAP, y: y0 }; });
    members.get(h)!.forEach((id, j) => { out[id] = { x: x0 + (j % inner) * GAP, y: y0 + (1 + Math.floor(j / inner)) * GAP }; });
  });
  const width = Math.max(1, Math.min(hosts.length, cols)) * cellW;
  const row = (names: string[], kind: string, y: number) => names.forEach((n, i) => {
    out[`${kind}.${n}`] = { x: ((i + 0.5) * width) / names.length - cellW / 2, y };
  });
  row(Object.keys(d.segments), "segments", -1.6 * GAP);
  row(Object.keys(d.networks), "networks", Math.ceil(hosts.length / cols) * cellH + 0.2 * GAP);
  return out;
}

/** An endpoint's addresses: the ones the design gives, then the ones IPAM chose (marked "ipam"). */
function addressLines(alloc: Allocation, endpoint: string, nets: Record<string, { ip?: string | null }>): string[] {
  return Object.entries(nets).flatMap(([net, a]) => {
    const chosen = alloc[endpoint]?.[net]?.ip;
    return a.ip ? [a.ip] : chosen ? [`${chosen} (ipam)`] : [];
  });
}

/** Which hosts a network lives on: those with an endpoint or shim on it (else all with its NIC). */
function networkHosts(d: Design, net: string): string[] {
  const on = new Set<string>();
  for (const e of [...Object.values(d.containers), ...Object.values(d.routers)]) if (net in e.networks) on.add(e.host);
  for (const [h, host] of Object.entries(d.hosts)) if (host.shim?.network === net) on.add(h);
  return on.size ? [...on] : Object.keys(d.hosts);
}

/**
 * Positions for drawing: the design's own, and for a host's unplaced children the automatic
 * place shifted by as much as the user moved a placed sibling, so they land in the same box.
 */
export function positions(d: Design): Record<string, Position> {
  const auto = autoLayout(d);
  const out: Record<string, Position> = { ...auto, ...d.layout };
  const children = new Map<string, string[]>();
  for (const [h, host] of Object.entries(d.hosts)) children.set(h, host.nics.map((n) => refId({ kind: "nics", host: h, name: n })));
  for (const kind of ["containers", "routers"] as const) {
    for (const [name, e] of Object.entries(d[kind])) children.get(e.host)?.push(`${kind}.${name}`);
  }
  for (const ids of children.values()) {
    const anchor = ids.find((id) => d.layout[id] && auto[id]);
    if (!anchor) continue;
    const dx = d.layout[anchor].x - auto[anchor].x;
    const dy = d.layout[anchor].y - auto[anchor].y;
    for (const id of ids) if (!d.layout[id] && auto[id]) out[id] = { x: auto[id].x + dx, y: auto[id].y + dy };
  }
  return out;
}

export function elements(d: Design, alloc: Allocation = {}): ElementDef[] {
  const placed = positions(d);
  const at = (id: string) => placed[id];
  const out: ElementDef[] = [];
  const node = (id: string, kind: string, label: string, classes: string, parent?: string, placed = true) => {
    out.push({ group: "nodes", data: { id, label, kind, ...(parent ? { parent } : {}) }, classes: `${kind} ${classes}`.trim(),
      ...(placed ? { position: { ...at(id) } } : {}) });
  };
  const edge = (kind: string, source: string, target: string, label = "") => {
    out.push({ group: "edges", data: { id: `${kind}:${source}|${target}`, source, target, kind, label }, classes: kind });
  };

  for (const [name, host] of Object.entries(d.hosts)) {
    const id = `hosts.${name}`;
    const extras = [host.forwarding ? "⇄ forwarding" : "", host.shim ? `shim ${host.shim.network} ${host.shim.ip}` : ""]
      .filter(Boolean).join(" · ");
    node(id, "host", extras ? `${name} — ${extras}` : name, host.forwarding ? "forwarding" : "", undefined, false);
    for (const nic of host.nics) {
      const own = Object.entries(host.addresses ?? {}).filter(([k]) => baseNic(k, [nic]) === nic);
      const nicId = refId({ kind: "nics", host: name, name: nic });
      node(nicId, "nic", [nic, ...own.map(([k, v]) => `${k} ${v}`)].join("\n"), "", id);
      // The host's own leg on a network (a router's way in and out, for a forwarding host).
      for (const [, address] of own) {
        const net = networkOf(d, address);
        if (net) edge("hostaddr", nicId, `networks.${net}`, address);
      }
    }
    if (host.shim && d.networks[host.shim.network]) edge("shim", id, `networks.${host.shim.network}`, host.shim.ip);
  }
  for (const [kind, map] of [["containers", d.containers], ["routers", d.routers]] as const) {
    for (const [name, e] of Object.entries(map)) {
      const id = `${kind}.${name}`;
      const parent = d.hosts[e.host] ? `hosts.${e.host}` : undefined;
      const nat = kind === "routers" && d.routers[name].masquerade ? [`NAT → ${d.routers[name].masquerade}`] : [];
      node(id, kind === "routers" ? "router" : "container", [name, ...addressLines(alloc, name, e.networks), ...nat].join("\n"), "", parent);
      for (const net of Object.keys(e.networks)) if (d.networks[net]) edge("attach", id, `networks.${net}`);
    }
  }
  for (const [name, seg] of Object.entries(d.segments)) {
    const id = `segments.${name}`;
    const tags = [seg.vlans?.length ? `VLAN ${seg.vlans.join(", ")}` : "untagged", seg.hairpin ? "hairpin" : ""].filter(Boolean);
    node(id, "segment", `${name}\n${tags.join(" · ")}`, "");
    for (const port of seg.ports) {
      const dot = port.indexOf(".");
      const [h, nic] = [port.slice(0, dot), port.slice(dot + 1)];
      if (d.hosts[h]?.nics.includes(nic)) edge("port", refId({ kind: "nics", host: h, name: nic }), id);
    }
  }
  // With many hosts the dashed parent lines would hide everything else; the label still says the parent.
  const drawParents = Object.keys(d.hosts).length <= MAX_HOSTS_WITH_PARENT_LINES;
  for (const [name, net] of Object.entries(d.networks)) {
    const id = `networks.${name}`;
    node(id, "network", `${name}\n${net.parent} · ${net.mode ?? "bridge"}\n${net.subnet}`, "");
    for (const h of drawParents ? networkHosts(d, name) : []) {
      const nic = baseNic(net.parent, d.hosts[h]?.nics ?? []);
      if (nic) edge("parent", id, refId({ kind: "nics", host: h, name: nic }), net.parent.includes(".") ? net.parent.slice(nic.length) : "");
    }
  }
  return out;
}
