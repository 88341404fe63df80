/**
 * A design being drawn is often incomplete: a container not yet on a network, a segment with no
 * port, a shim without its address. The site refuses such a design outright (400: it does not
 * load), which would hide every other issue; so the editor validates the rest of the design and
 * says itself what each incomplete element still needs.
 */
import type { Issue } from "./issues";
import type { Design } from "./model";

function todo(path: string, message: string, hint: string): Issue {
  return { severity: "error", path, line: null, message, hint };
}

/** True for a design with nothing drawn in it yet. */
export function isBlank(d: Design): boolean {
  return !Object.keys(d.hosts).length && !Object.keys(d.segments).length && !Object.keys(d.networks).length;
}

/**
 * The design without its incomplete elements (null when nothing is left to check), and an issue
 * for each one left out.
 */
export function sendable(d: Design): { design: Design | null; issues: Issue[] } {
  const out = structuredClone(d);
  const issues: Issue[] = [];
  for (const [name, host] of Object.entries(out.hosts)) {
    if (!host.nics.length) {
      issues.push(todo(`hosts.${name}.nics`, "has no NIC", "add one with + NIC (or I), inside the host"));
      host.nics = ["eth0"];
    }
    if (host.shim && !host.shim.ip) {
      issues.push(
        todo(
          `hosts.${name}.shim.ip`,
          "the shim needs an address",
          `give the address host ${name} uses on ${host.shim.network}`,
        ),
      );
      delete host.shim;
    }
  }
  for (const [name, seg] of Object.entries(out.segments)) {
    if (!seg.ports.length) {
      issues.push(
        todo(`segments.${name}.ports`, "is not plugged into any NIC", "Connect: click a NIC, then this segment"),
      );
      delete out.segments[name];
    }
  }
  for (const kind of ["containers", "routers"] as const) {
    const needs = kind === "routers" ? 2 : 1;
    for (const [name, ep] of Object.entries(out[kind])) {
      const have = Object.keys(ep.networks).length;
      if (have >= needs) continue;
      issues.push(
        todo(
          `${kind}.${name}.networks`,
          kind === "routers" ? `a router needs legs on at least 2 networks (it has ${have})` : "is on no network",
          "Connect: click it, then a network (or pick one in 'attach to')",
        ),
      );
      delete out[kind][name];
    }
  }
  return { design: Object.keys(out.hosts).length ? out : null, issues };
}
