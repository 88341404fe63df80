/**
 * The formats of the design's fields (`designer/topology/model.py`), checked as the user types,
 * so a wrong value is refused at its field with the same advice the site would give.
 * Each check answers the value to store, or throws why it cannot be stored.
 */

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC_RE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

function isIpv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(":")) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

export function isIp(text: string): boolean {
  return IPV4_RE.test(text) || isIpv6(text);
}

/** One address, like 172.16.10.10. */
export function ip(text: string): string {
  if (!isIp(text)) throw new Error(`'${text}' is not an address: write one address, like 172.16.10.10`);
  return text;
}

function splitPrefix(text: string, what: string, example: string): [string, number] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m || !isIp(m[1])) throw new Error(`'${text}' is not ${what}: write it with its prefix length, like ${example}`);
  const bits = Number(m[2]);
  const max = m[1].includes(":") ? 128 : 32;
  if (bits > max) throw new Error(`'${text}': the prefix length is at most ${max}`);
  return [m[1], bits];
}

function ipv4Number(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** A network address with its prefix, like 172.16.10.0/24 (host bits zero, as the site wants). */
export function network(text: string): string {
  const [address, bits] = splitPrefix(text, "a network", "172.16.10.0/24");
  if (!address.includes(":")) {
    const hostBits = ipv4Number(address) % 2 ** (32 - bits);
    if (hostBits !== 0) {
      const base = ipv4Number(address) - hostBits;
      const net = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".");
      throw new Error(`'${text}' has host bits set: the network is ${net}/${bits}`);
    }
  }
  return text;
}

/** The first address of an IPv4 network (172.16.10.0/24 → 172.16.10.1), where a router usually sits. */
export function firstHost(subnet: string): string {
  const [address, bits] = splitPrefix(network(subnet), "a network", "172.16.10.0/24");
  if (address.includes(":") || bits > 30) throw new Error(`${subnet}: give the router's address yourself`);
  const n = ipv4Number(address) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** An address with its prefix, as a host holds it (172.16.10.1/24). */
export function hostInterface(text: string): string {
  splitPrefix(text, "an address with its prefix length", "172.16.10.1/24");
  return text;
}

export function mac(text: string): string {
  if (!MAC_RE.test(text))
    throw new Error(`'${text}' is not a MAC address: write six two-digit hex octets, like 02:00:00:00:20:0b`);
  return text.toLowerCase();
}

/**
 * An endpoint's address on a network. IPAM shows its choices with the prefix (172.16.10.10/24), so
 * that form is accepted too when the prefix is the network's; the design stores the address alone.
 */
export function attachmentIp(text: string, subnet: string | undefined): string {
  if (!text.includes("/")) return ip(text);
  const [address, bits] = splitPrefix(text, "an address", "172.16.10.10");
  const netBits = subnet && /\/(\d+)$/.exec(subnet)?.[1];
  if (netBits !== undefined && netBits !== null && Number(netBits) !== bits) {
    throw new Error(`'${text}': the network ${subnet} is /${netBits}; write the address alone, like ${address}`);
  }
  return address;
}

/** `text` unless empty (then null: the key is left out and the default or IPAM applies). */
export function optional(check: (text: string) => string): (text: string) => string | null {
  return (text) => (text === "" ? null : check(text));
}
