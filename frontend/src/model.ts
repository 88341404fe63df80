/**
 * The design as the editor holds it: the same JSON as `designer/topology/model.py`
 * (`apiVersion: mvlab/v1`), plus the element references and the edits the editor makes.
 * Every edit mutates the design it is given; `store.ts` hands it a copy and keeps the old one
 * for undo.
 */

import type { components } from "./api/schema";
import { firstHost } from "./fields";

/** The site's shapes, generated from its OpenAPI document (src/api/schema.d.ts, `npm run types`). */
type Wire = components["schemas"];

export type MacvlanMode = NonNullable<Wire["MacvlanNetwork"]["mode"]>;
export const MODES: MacvlanMode[] = ["bridge", "private", "vepa", "passthru", "source"];

export type RouteSpec = Wire["RouteSpec"];
export type Shim = Wire["Shim"];
export type Host = Wire["Host"];
export type Segment = Wire["Segment"];
export type Network = Wire["MacvlanNetwork"];
export type Attachment = Wire["Attachment"];
export type Container = Wire["Container"];
export type Router = Wire["Router"];
/** What a container and a router both have. */
export type Endpoint = Container;
export type Position = Wire["Position"];

/** The maps the site may leave out of a design when empty; the editor's design always has them (`normalize`). */
type Maps = "segments" | "networks" | "containers" | "routers" | "layout";
export type Design = Omit<Wire["Design"], Maps> & Required<Pick<Wire["Design"], Maps>>;

/** The kinds of element the editor draws; all but `nics` are top-level keys of the design. */
export type Kind = "hosts" | "nics" | "segments" | "networks" | "containers" | "routers";
export const KINDS: Kind[] = ["hosts", "nics", "segments", "networks", "containers", "routers"];

/** One element: `name`, and for a NIC also the `host` it belongs to. */
export interface Ref {
  kind: Kind;
  name: string;
  host?: string;
}

/** The element's id in the drawing, its key in `layout`, and the start of its issue paths. */
export function refId(ref: Ref): string {
  return ref.kind === "nics" ? `nics.${ref.host}.${ref.name}` : `${ref.kind}.${ref.name}`;
}

export function parseId(id: string): Ref {
  const dot = id.indexOf(".");
  const kind = id.slice(0, dot) as Kind;
  const rest = id.slice(dot + 1);
  if (!KINDS.includes(kind) || dot < 0) throw new Error(`not an element id: ${id}`);
  if (kind !== "nics") return { kind, name: rest };
  const second = rest.indexOf(".");
  return { kind, host: rest.slice(0, second), name: rest.slice(second + 1) };
}

export function emptyDesign(name = "untitled"): Design {
  return {
    apiVersion: "mvlab/v1",
    kind: "Design",
    name,
    description: "",
    hosts: {},
    segments: {},
    networks: {},
    containers: {},
    routers: {},
    layout: {},
  };
}

/** Accepts a design as the API returns it and fills the maps it may leave out. */
export function normalize(raw: Partial<Design> & Record<string, unknown>): Design {
  const d = { ...emptyDesign(), ...structuredClone(raw) } as Design;
  for (const key of ["hosts", "segments", "networks", "containers", "routers", "layout"] as const) {
    d[key] = (d[key] ?? {}) as never;
  }
  return d;
}

export function exists(d: Design, ref: Ref): boolean {
  if (ref.kind === "nics") return !!d.hosts[ref.host!]?.nics.includes(ref.name);
  return ref.name in d[ref.kind];
}

// ---- names -------------------------------------------------------------------------

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const IFNAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** The same rule as `contract/plan.py`: check_name for elements, check_ifname for NICs. */
export function checkName(kind: Kind, name: string): void {
  if (kind === "nics") {
    if (!IFNAME_RE.test(name) || name === "." || name === "..") {
      throw new Error(`'${name}' is not a usable interface name: 1-15 characters of letters, digits, '_', '.', '-'`);
    }
  } else if (!NAME_RE.test(name)) {
    throw new Error(
      `'${name}' is not a usable name: lowercase letters, digits, '_' and '-', starting with a letter or digit, at most 32`,
    );
  }
}

function freeName(taken: Iterable<string>, stem: string): string {
  const used = new Set(taken);
  for (let i = 1; ; i++) if (!used.has(`${stem}${i}`)) return `${stem}${i}`;
}

function renameKey<T>(map: Record<string, T>, from: string, to: string): Record<string, T> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k === from ? to : k, v]));
}

function endpoints(d: Design): Array<[Kind, string, Endpoint]> {
  return [
    ...Object.entries(d.containers).map(([n, e]) => ["containers", n, e] as [Kind, string, Endpoint]),
    ...Object.entries(d.routers).map(([n, e]) => ["routers", n, e] as [Kind, string, Endpoint]),
  ];
}

/** `enp0s8.100` → `enp0s8`: the NIC an interface name (NIC or NIC.VID) sits on. */
export function baseNic(ifname: string, nics: string[]): string | null {
  if (nics.includes(ifname)) return ifname;
  const dot = ifname.lastIndexOf(".");
  return dot > 0 && nics.includes(ifname.slice(0, dot)) ? ifname.slice(0, dot) : null;
}

function renameIf(ifname: string, from: string, to: string): string {
  if (ifname === from) return to;
  return ifname.startsWith(`${from}.`) ? to + ifname.slice(from.length) : ifname;
}

// ---- adding ------------------------------------------------------------------------

/**
 * A new host, with the NIC name the design's hosts already use (the hosts of a lab are usually
 * alike: name one host's NIC enp0s8 and the next hosts get enp0s8 too); eth0 for the first.
 */
export function addHost(d: Design, at?: Position): Ref {
  const name = freeName(Object.keys(d.hosts), "host");
  const nic = Object.values(d.hosts).at(-1)?.nics[0] ?? "eth0";
  d.hosts[name] = { nics: [nic] };
  if (at) d.layout[`nics.${name}.${nic}`] = at; // a host's box is drawn around its NICs and endpoints
  return { kind: "hosts", name };
}

export function addNic(d: Design, host: string): Ref {
  const h = d.hosts[host];
  if (!h) throw new Error(`no host ${host}: select a host first`);
  let i = 0;
  while (h.nics.includes(`eth${i}`)) i++;
  h.nics.push(`eth${i}`);
  return { kind: "nics", host, name: `eth${i}` };
}

export function addSegment(d: Design, at?: Position): Ref {
  const name = freeName(Object.keys(d.segments), "lan");
  d.segments[name] = { ports: [] };
  if (at) d.layout[`segments.${name}`] = at;
  return { kind: "segments", name };
}

/**
 * A network on the first free 172.16.N.0/24 whose parent is the first NIC of the design, on the
 * first VLAN its wire carries that no network uses yet (enp0s8.100, then enp0s8.200), if any.
 */
export function addNetwork(d: Design, at?: Position): Ref {
  const name = freeName(Object.keys(d.networks), "net");
  const used = new Set(Object.values(d.networks).map((n) => n.subnet));
  let n = 10;
  while (used.has(`172.16.${n}.0/24`)) n += 10;
  const nic = Object.values(d.hosts)[0]?.nics[0] ?? "eth0";
  const parents = new Set(Object.values(d.networks).map((x) => x.parent));
  const vlans = Object.values(d.segments)
    .filter((s) => s.ports.some((p) => p.endsWith(`.${nic}`)))
    .flatMap((s) => s.vlans ?? []);
  const vid = vlans.find((v) => !parents.has(`${nic}.${v}`));
  const parent = vid === undefined ? nic : `${nic}.${vid}`;
  d.networks[name] = { parent, subnet: `172.16.${n}.0/24` }; // mode: bridge, the default
  if (at) d.layout[`networks.${name}`] = at;
  return { kind: "networks", name };
}

export function addEndpoint(d: Design, kind: "containers" | "routers", host: string, at?: Position): Ref {
  if (!d.hosts[host])
    throw new Error(`no host ${host}: select the host the ${kind === "routers" ? "router" : "container"} runs on`);
  const taken = [...Object.keys(d.containers), ...Object.keys(d.routers)];
  const name = freeName(taken, kind === "routers" ? "r" : "c");
  d[kind][name] = { host, networks: {} };
  if (at) d.layout[`${kind}.${name}`] = at;
  return { kind, name };
}

// ---- connecting --------------------------------------------------------------------

/**
 * Joins two elements the way the drawing means it: a NIC to a segment (a port), a container
 * or router to a network (an attachment, addresses from IPAM), a network to a NIC (its parent,
 * keeping a VLAN suffix). Answers what it did, or throws why it cannot.
 */
export function connect(d: Design, a: Ref, b: Ref): string {
  const pair = (k1: Kind, k2: Kind): [Ref, Ref] | null =>
    a.kind === k1 && b.kind === k2 ? [a, b] : a.kind === k2 && b.kind === k1 ? [b, a] : null;
  let p = pair("nics", "segments");
  if (p) {
    const [nic, seg] = p;
    const port = `${nic.host}.${nic.name}`;
    const ports = d.segments[seg.name].ports;
    if (ports.includes(port)) throw new Error(`${port} is already on segment ${seg.name}`);
    ports.push(port);
    return `${port} plugged into ${seg.name}`;
  }
  p = pair("containers", "networks") ?? pair("routers", "networks");
  if (p) {
    const [ep, net] = p;
    const e = d[ep.kind as "containers" | "routers"][ep.name];
    if (net.name in e.networks) throw new Error(`${ep.name} is already on ${net.name}`);
    e.networks[net.name] = {};
    return `${ep.name} attached to ${net.name}`;
  }
  p = pair("networks", "nics");
  if (p) {
    const [net, nic] = p;
    const n = d.networks[net.name];
    const dot = n.parent.lastIndexOf(".");
    const vid = dot > 0 && /^\d+$/.test(n.parent.slice(dot + 1)) ? n.parent.slice(dot) : "";
    n.parent = nic.name + vid;
    return `${net.name} now has parent ${n.parent}`;
  }
  throw new Error(
    `cannot connect ${a.kind.slice(0, -1)} ${a.name} to ${b.kind.slice(0, -1)} ${b.name}: ` +
      "connect a NIC to a segment, a container or router to a network, or a network to its parent NIC",
  );
}

/** Undoes a `connect`: unplugs a port or removes an attachment. */
export function disconnect(d: Design, a: Ref, b: Ref): void {
  const [x, y] = a.kind === "segments" || a.kind === "networks" ? [b, a] : [a, b];
  if (x.kind === "nics" && y.kind === "segments") {
    const seg = d.segments[y.name];
    seg.ports = seg.ports.filter((p) => p !== `${x.host}.${x.name}`);
  } else if ((x.kind === "containers" || x.kind === "routers") && y.kind === "networks") {
    const e = d[x.kind][x.name];
    delete e.networks[y.name];
    if ("masquerade" in e && (e as Router).masquerade === y.name) delete (e as Router).masquerade;
  } else {
    throw new Error(`${x.name} and ${y.name} are not connected by a link the editor can remove`);
  }
}

// ---- renaming ----------------------------------------------------------------------

function moveLayout(d: Design, from: string, to: string): void {
  for (const key of Object.keys(d.layout)) {
    if (key === from || key.startsWith(`${from}.`)) {
      d.layout[to + key.slice(from.length)] = d.layout[key];
      delete d.layout[key];
    }
  }
}

/** Renames an element and every reference to it (ports, hosts of endpoints, attachments, parents). */
export function rename(d: Design, ref: Ref, to: string): Ref {
  if (to === ref.name) return ref;
  checkName(ref.kind, to);
  const next: Ref = { ...ref, name: to };
  if (exists(d, next)) throw new Error(`there is already a ${ref.kind.slice(0, -1)} named ${to}`);
  if ((ref.kind === "containers" && to in d.routers) || (ref.kind === "routers" && to in d.containers)) {
    throw new Error(`there is already an endpoint named ${to}`);
  }
  const oldId = refId(ref);
  switch (ref.kind) {
    case "hosts":
      d.hosts = renameKey(d.hosts, ref.name, to);
      for (const [, , e] of endpoints(d)) if (e.host === ref.name) e.host = to;
      for (const seg of Object.values(d.segments)) {
        seg.ports = seg.ports.map((p) => (p.startsWith(`${ref.name}.`) ? to + p.slice(ref.name.length) : p));
      }
      moveLayout(d, `nics.${ref.name}`, `nics.${to}`);
      break;
    case "nics": {
      const h = d.hosts[ref.host!];
      h.nics = h.nics.map((n) => (n === ref.name ? to : n));
      if (h.addresses) {
        h.addresses = Object.fromEntries(Object.entries(h.addresses).map(([k, v]) => [renameIf(k, ref.name, to), v]));
      }
      for (const seg of Object.values(d.segments)) {
        seg.ports = seg.ports.map((p) => (p === `${ref.host}.${ref.name}` ? `${ref.host}.${to}` : p));
      }
      const stillUsed = Object.values(d.hosts).some((o) => o.nics.includes(ref.name));
      if (!stillUsed) for (const n of Object.values(d.networks)) n.parent = renameIf(n.parent, ref.name, to);
      break;
    }
    case "networks":
      d.networks = renameKey(d.networks, ref.name, to);
      for (const [, , e] of endpoints(d)) {
        e.networks = renameKey(e.networks, ref.name, to);
        if ((e as Router).masquerade === ref.name) (e as Router).masquerade = to;
      }
      for (const h of Object.values(d.hosts)) if (h.shim?.network === ref.name) h.shim.network = to;
      break;
    default: {
      const maps = d as unknown as Record<string, Record<string, unknown>>;
      maps[ref.kind] = renameKey(maps[ref.kind], ref.name, to);
    }
  }
  moveLayout(d, oldId, refId(next));
  return next;
}

// ---- deleting ----------------------------------------------------------------------

/** Deletes an element and what cannot live without it (a host's endpoints, ports, attachments). */
export function remove(d: Design, ref: Ref): void {
  const id = refId(ref);
  switch (ref.kind) {
    case "hosts":
      for (const [kind, name, e] of endpoints(d)) if (e.host === ref.name) remove(d, { kind, name });
      for (const nic of d.hosts[ref.name]?.nics ?? []) remove(d, { kind: "nics", host: ref.name, name: nic });
      delete d.hosts[ref.name];
      break;
    case "nics": {
      const h = d.hosts[ref.host!];
      if (!h) return;
      h.nics = h.nics.filter((n) => n !== ref.name);
      if (h.addresses) {
        for (const k of Object.keys(h.addresses)) if (renameIf(k, ref.name, "") !== k) delete h.addresses[k];
      }
      for (const seg of Object.values(d.segments)) seg.ports = seg.ports.filter((p) => p !== `${ref.host}.${ref.name}`);
      break;
    }
    case "networks":
      delete d.networks[ref.name];
      for (const [kind, name] of endpoints(d)) {
        if (ref.name in d[kind as "containers"][name].networks) {
          disconnect(d, { kind, name }, ref);
        }
      }
      for (const h of Object.values(d.hosts)) if (h.shim?.network === ref.name) delete h.shim;
      break;
    default:
      delete (d[ref.kind] as Record<string, unknown>)[ref.name];
  }
  for (const key of Object.keys(d.layout)) if (key === id || key.startsWith(`${id}.`)) delete d.layout[key];
}

// ---- fields ------------------------------------------------------------------------

/** The object a properties form edits: the element itself (for a NIC, its host). */
export function target(d: Design, ref: Ref): Record<string, unknown> {
  const obj = ref.kind === "nics" ? d.hosts[ref.host!] : d[ref.kind][ref.name];
  if (!obj) throw new Error(`${refId(ref)} no longer exists`);
  return obj as unknown as Record<string, unknown>;
}

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/**
 * Sets one field at `path` below the element; an empty value removes the key, so the design
 * says only what the user said (and IPAM fills the rest).
 */
export function setField(d: Design, ref: Ref, path: string[], value: unknown): void {
  let obj: Record<string, unknown> = target(d, ref);
  for (const key of path.slice(0, -1)) {
    obj[key] ??= {};
    obj = obj[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (isEmpty(value) || value === false) delete obj[last];
  else obj[last] = value;
}

/**
 * Makes `host` the router between the networks its NICs carry (a "routing host"): forwarding on,
 * an address on each network's parent interface (the network's gateway, or else its subnet's
 * first address, which then becomes the gateway). Answers what it did.
 */
export function routeBetween(d: Design, host: string): string {
  const h = d.hosts[host];
  const nets = Object.entries(d.networks).filter(([, n]) => baseNic(n.parent, h.nics) !== null);
  if (nets.length < 2) {
    throw new Error(
      `host ${host} has ${nets.length} network${nets.length === 1 ? "" : "s"} on its NICs: it routes between two or more`,
    );
  }
  h.forwarding = true;
  h.addresses ??= {};
  for (const [, n] of nets) {
    n.gateway ??= firstHost(n.subnet);
    h.addresses[n.parent] = `${n.gateway}/${n.subnet.split("/")[1]}`;
  }
  return `host ${host} routes between ${nets.map(([name]) => name).join(", ")}`;
}

export function move(d: Design, id: string, at: Position): void {
  d.layout[id] = { x: Math.round(at.x), y: Math.round(at.y) };
}
