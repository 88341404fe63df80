/**
 * A one-line reason for each pair of the matrix, read from the design: on the same macvlan
 * network (direct, TTL 64), or through a router / forwarding host (one hop, TTL 63), or why not.
 * The verdict itself always comes from the site's prediction; this only says which way it goes.
 */
import type { Design } from "./model";
import type { Pair } from "./matrix";

export interface Explanation { text: string; via: string[]; ttl: number | null }

function ipv4(ip: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? m.slice(1).reduce((acc, o) => acc * 256 + Number(o), 0) : null;
}

/** Does IPv4 `ip` (with or without a /prefix) lie in `cidr`? */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split("/");
  const a = ipv4(ip.split("/")[0]);
  const n = ipv4(net);
  if (a === null || n === null) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(n / size);
}

export function networkOf(d: Design, ip: string): string | null {
  return Object.entries(d.networks).find(([, n]) => inSubnet(ip, n.subnet))?.[0] ?? null;
}

/** The networks an endpoint (container, router, or host by its addresses and shim) has a leg on. */
export function networksOf(d: Design, endpoint: string): string[] {
  const e = d.containers[endpoint] ?? d.routers[endpoint];
  if (e) return Object.keys(e.networks);
  const h = d.hosts[endpoint];
  if (!h) return [];
  const nets = Object.values(h.addresses ?? {}).map((a) => networkOf(d, a)).filter((n): n is string => !!n);
  if (h.shim) nets.push(h.shim.network);
  return [...new Set(nets)];
}

function hostOf(d: Design, endpoint: string): string | null {
  return (d.containers[endpoint] ?? d.routers[endpoint])?.host ?? (endpoint in d.hosts ? endpoint : null);
}

/** Routers and forwarding hosts with a leg on both networks, as element ids. */
function gateways(d: Design, from: string, to: string): string[] {
  const both = (nets: string[]) => nets.includes(from) && nets.includes(to);
  return [
    ...Object.keys(d.routers).filter((r) => both(networksOf(d, r))).map((r) => `routers.${r}`),
    ...Object.entries(d.hosts).filter(([n, h]) => h.forwarding && both(networksOf(d, n))).map(([n]) => `hosts.${n}`),
  ];
}

const label = (id: string) => id.slice(id.indexOf(".") + 1);

export function explain(d: Design, pair: Pair): Explanation {
  const dstNet = networkOf(d, pair.dst_ip);
  const srcNets = networksOf(d, pair.src);
  if (dstNet && srcNets.includes(dstNet)) {
    const mode = d.networks[dstNet].mode ?? "bridge";
    if (pair.expected) return { text: `same network ${dstNet} (${mode} mode): direct, TTL 64`, via: [], ttl: 64 };
    const sameHost = hostOf(d, pair.src) === hostOf(d, pair.dst);
    const why = pair.src in d.hosts || pair.dst in d.hosts
      ? "a host cannot reach its own macvlan children through the parent (add a shim)"
      : mode === "private" ? "private mode: siblings never talk"
      : mode === "vepa" && sameHost ? "vepa mode: siblings talk only through a hairpin switch"
      : "the network does not join them";
    return { text: `both on ${dstNet}, but ${why}`, via: [], ttl: null };
  }
  const via = dstNet ? srcNets.flatMap((n) => gateways(d, n, dstNet)) : [];
  const from = srcNets.join(", ") || "no network";
  if (pair.expected) {
    const through = via.length ? `via ${via.map(label).join(" or ")}` : "via a route";
    return { text: `${from} → ${dstNet ?? pair.dst_ip} ${through}: one hop, TTL 63`, via, ttl: via.length ? 63 : null };
  }
  return {
    text: via.length
      ? `${from} → ${dstNet}: ${via.map(label).join(", ")} could route, but no route leads there (gateway?)`
      : `${from} → ${dstNet ?? pair.dst_ip}: no router or forwarding host joins them`,
    via, ttl: null,
  };
}
