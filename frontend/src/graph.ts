/**
 * The drawing of a design: Cytoscape element definitions (hosts as compound nodes holding
 * their NICs, containers and routers; segments and networks outside) and positions for
 * elements the design's `layout` does not place yet.
 */
import type { Allocation } from "./api";
import { networkOf } from "./subnets";
import {
  BUS_CLEAR,
  BUS_STEP,
  type Box,
  HOST_LABEL,
  HOST_PAD,
  type Size,
  detour,
  hostMinWidth,
  layered,
  nodeSize,
  segmentStyle,
  textSize,
} from "./layout";
import { type Design, type Position, baseNic, refId } from "./model";

export interface NodeDef {
  group: "nodes";
  /** w, h: the node's size; minW: a host box's least width; all in drawing units. */
  data: { id: string; label: string; kind: string; parent?: string; w?: number; h?: number; minW?: number };
  classes: string;
  position?: Position;
}
export interface EdgeDef {
  group: "edges";
  /** turn: how far from the source a line turns across (Cytoscape's taxi-turn); weights, distances:
   * the bends of a line led around host boxes instead (Cytoscape's segments). */
  data: {
    id: string;
    source: string;
    target: string;
    kind: string;
    turn?: number;
    weights?: string;
    distances?: string;
  };
  classes: string;
}
export type ElementDef = NodeDef | EdgeDef;

const MAX_HOSTS_WITH_PARENT_LINES = 12;
/** A host's name: 13 px bold, measured as 15 px regular (bold is wider). */
const HOST_FONT = 15;

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
export function positions(d: Design, alloc: Allocation = {}): Record<string, Position> {
  const auto = autoLayout(d, alloc);
  const out: Record<string, Position> = { ...auto, ...d.layout };
  const children = new Map<string, string[]>();
  for (const [h, host] of Object.entries(d.hosts))
    children.set(
      h,
      host.nics.map((n) => refId({ kind: "nics", host: h, name: n })),
    );
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

/** The elements of the drawing, not yet placed or sized. */
function draw(d: Design, alloc: Allocation): ElementDef[] {
  const out: ElementDef[] = [];
  const node = (id: string, kind: string, label: string, classes: string, parent?: string) => {
    out.push({
      group: "nodes",
      data: { id, label, kind, ...(parent ? { parent } : {}) },
      classes: `${kind} ${classes}`.trim(),
    });
  };
  // Lines carry no text: what one would say (an address, a VLAN) is in the label of one of its ends.
  const edge = (kind: string, source: string, target: string) => {
    out.push({ group: "edges", data: { id: `${kind}:${source}|${target}`, source, target, kind }, classes: kind });
  };

  for (const [name, host] of Object.entries(d.hosts)) {
    const id = `hosts.${name}`;
    const extras = [host.forwarding ? "⇄ forwarding" : "", host.shim ? `shim ${host.shim.network} ${host.shim.ip}` : ""]
      .filter(Boolean)
      .join(" · ");
    node(id, "host", extras ? `${name} — ${extras}` : name, host.forwarding ? "forwarding" : "");
    for (const nic of host.nics) {
      const own = Object.entries(host.addresses ?? {}).filter(([k]) => baseNic(k, [nic]) === nic);
      const nicId = refId({ kind: "nics", host: name, name: nic });
      node(nicId, "nic", [nic, ...own.map(([k, v]) => `${k} ${v}`)].join("\n"), "", id);
      // The host's own leg on a network (a router's way in and out, for a forwarding host).
      for (const [, address] of own) {
        const net = networkOf(d, address);
        if (net) edge("hostaddr", nicId, `networks.${net}`);
      }
    }
    if (host.shim && d.networks[host.shim.network]) edge("shim", id, `networks.${host.shim.network}`);
  }
  for (const [kind, map] of [
    ["containers", d.containers],
    ["routers", d.routers],
  ] as const) {
    for (const [name, e] of Object.entries(map)) {
      const id = `${kind}.${name}`;
      const parent = d.hosts[e.host] ? `hosts.${e.host}` : undefined;
      const nat = kind === "routers" && d.routers[name].masquerade ? [`NAT → ${d.routers[name].masquerade}`] : [];
      node(
        id,
        kind === "routers" ? "router" : "container",
        [name, ...addressLines(alloc, name, e.networks), ...nat].join("\n"),
        "",
        parent,
      );
      for (const net of Object.keys(e.networks)) if (d.networks[net]) edge("attach", id, `networks.${net}`);
    }
  }
  for (const [name, seg] of Object.entries(d.segments)) {
    const id = `segments.${name}`;
    const tags = [seg.vlans?.length ? `VLAN ${seg.vlans.join(", ")}` : "untagged", seg.hairpin ? "hairpin" : ""].filter(
      Boolean,
    );
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
      if (nic) edge("parent", id, refId({ kind: "nics", host: h, name: nic }));
    }
  }
  return out;
}

/** Each node's drawn size by id (a host: the size of its name, drawn above its box). */
function sizes(defs: ElementDef[]): Map<string, Size> {
  return new Map(
    defs
      .filter((e) => e.group === "nodes")
      .map((e) => [
        e.data.id,
        e.data.kind === "host" ? textSize(e.data.label, HOST_FONT) : nodeSize(e.data.kind, e.data.label),
      ]),
  );
}

/** What each network joins: its endpoints, its routing hosts' NICs and shims, else the NICs of its parent. */
function networkNeighbours(defs: ElementDef[]): (net: string) => string[] {
  const by = new Map<string, string[]>();
  for (const e of defs) {
    if (e.group !== "edges") continue;
    const [net, other] = e.data.target.startsWith("networks.")
      ? [e.data.target, e.data.source]
      : [e.data.source, e.data.target];
    if (net.startsWith("networks.")) by.set(net, [...(by.get(net) ?? []), other]);
  }
  return (net) => by.get(`networks.${net}`) ?? [];
}

/** Automatic places for every element, sized to the labels they get with this allocation. */
export function autoLayout(d: Design, alloc: Allocation = {}): Record<string, Position> {
  const defs = draw(d, alloc);
  const size = sizes(defs);
  return layered(d, (id) => size.get(id) ?? { w: 0, h: 0 }, networkNeighbours(defs));
}

/**
 * The drawing: every node placed and sized; a host's box wide enough for its name beside its NICs;
 * each line into a network turns at that network's own level just above it, so lines run around
 * the boxes (between the hosts and the networks) and the lines of one network read as one bus.
 */
export function elements(d: Design, alloc: Allocation = {}): ElementDef[] {
  const defs = draw(d, alloc);
  const size = sizes(defs);
  const placed = positions(d, alloc);
  const nets = Object.keys(d.networks).map((n) => `networks.${n}`);
  const segs = Object.keys(d.segments).map((n) => `segments.${n}`);
  for (const e of defs) {
    if (e.group !== "nodes") continue;
    const s = size.get(e.data.id)!;
    if (e.data.kind === "host") {
      const host = e.data.id.slice("hosts.".length);
      e.data.minW = hostMinWidth(
        s.w,
        d.hosts[host].nics.map((n) => size.get(refId({ kind: "nics", host, name: n }))!.w),
      );
    } else {
      e.position = { ...placed[e.data.id] };
      e.data.w = s.w;
      e.data.h = s.h;
    }
  }
  const boxes = hostBoxes(defs);
  const boxList = [...boxes.values()];
  const parents = new Map(
    defs.flatMap((e) => (e.group === "nodes" && e.data.parent ? [[e.data.id, e.data.parent]] : [])),
  );
  for (const e of defs) {
    if (e.group !== "edges") continue;
    const { source, target } = e.data;
    const hub = [target, source].find((id) => nets.includes(id)) ?? [target, source].find((id) => segs.includes(id));
    const from = placed[source];
    const to = placed[target];
    if (!hub || !from || !to) continue;
    const a = placed[hub];
    const level = hub.startsWith("networks.")
      ? a.y - size.get(hub)!.h / 2 - BUS_CLEAR - BUS_STEP * nets.indexOf(hub)
      : a.y + size.get(hub)!.h / 2 + BUS_CLEAR + BUS_STEP * segs.indexOf(hub);
    // Cytoscape measures the turn from the line's source; a level outside the two ends falls back to half way.
    const inner = hub === source ? target : source;
    const own = boxes.get(inner) ?? boxes.get(parents.get(inner) ?? ""); // a shim's line starts at the host itself
    const bends = own ? detour(placed[inner], own, a, level, boxList) : null;
    if (bends) {
      Object.assign(e.data, segmentStyle(from, to, hub === source ? bends.reverse() : bends));
      continue;
    }
    const span = Math.abs(to.y - from.y);
    const turn = Math.abs(level - from.y);
    e.data.turn = turn > 0 && turn < span ? Math.round(turn) : Math.round(span / 2);
  }
  return defs;
}

/** Each host's box as drawn: around its children, its name above, at least its least width (spare on the left). */
function hostBoxes(defs: ElementDef[]): Map<string, Box> {
  const out = new Map<string, Box>();
  const minW = new Map<string, number>();
  for (const e of defs) {
    if (e.group !== "nodes") continue;
    if (e.data.kind === "host") {
      minW.set(e.data.id, e.data.minW ?? 0);
      continue;
    }
    if (!e.data.parent || !e.position) continue;
    const { x, y } = e.position;
    const [w, h] = [e.data.w ?? 0, e.data.h ?? 0];
    const b = out.get(e.data.parent) ?? { x1: Infinity, x2: -Infinity, y1: Infinity, y2: -Infinity };
    out.set(e.data.parent, {
      x1: Math.min(b.x1, x - w / 2),
      x2: Math.max(b.x2, x + w / 2),
      y1: Math.min(b.y1, y - h / 2),
      y2: Math.max(b.y2, y + h / 2),
    });
  }
  for (const [id, b] of out) {
    out.set(id, {
      x1: Math.min(b.x1, b.x2 - (minW.get(id) ?? 0)) - HOST_PAD,
      x2: b.x2 + HOST_PAD,
      y1: b.y1 - HOST_PAD - HOST_LABEL,
      y2: b.y2 + HOST_PAD,
    });
  }
  return out;
}
