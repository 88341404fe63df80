/** Issues from `POST /api/validate`, and which drawn element each one concerns. */
import type { components } from "./api/schema";
import { type Design, type Ref, exists, refId } from "./model";

/** One issue as the site reports it (generated: src/api/schema.d.ts). */
export type Issue = components["schemas"]["IssueOut"];

const TOP: Record<string, Ref["kind"]> = {
  hosts: "hosts",
  segments: "segments",
  networks: "networks",
  containers: "containers",
  routers: "routers",
};

/**
 * The element id an issue path names: `containers.d1.networks.mac10.ip` → `containers.d1`,
 * `hosts.host1.nics.0` → that NIC, `segments.lan.ports.1` → the segment. Paths about the whole design (`name`) or unknown elements give null.
 */
export function issueTarget(path: string, d: Design): string | null {
  const parts = path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter(Boolean);
  const kind = TOP[parts[0]];
  if (!kind || parts.length < 2) return null;
  const ref: Ref = { kind, name: parts[1] };
  if (!exists(d, ref)) return null;
  if (kind === "hosts" && parts[2] === "nics" && /^\d+$/.test(parts[3] ?? "")) {
    const nic = d.hosts[ref.name].nics[Number(parts[3])];
    if (nic !== undefined) return refId({ kind: "nics", host: ref.name, name: nic });
  }
  return refId(ref);
}

/** Groups issues by the element they concern; issues about the whole design go under "". */
export function issuesByElement(issues: Issue[], d: Design): Map<string, Issue[]> {
  const out = new Map<string, Issue[]>();
  for (const issue of issues) {
    const id = issueTarget(issue.path, d) ?? "";
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push(issue);
  }
  return out;
}
