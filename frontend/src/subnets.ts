/**
 * Which design network an IPv4 address lies in, read from the networks' subnets: the drawing
 * joins a host's address to its network with it. (Why a pair is reachable is the site's answer,
 * in the prediction's reasons, not guessed here.)
 */
import type { Design } from "./model";

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
