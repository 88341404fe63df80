/** What the drawing shows of the matrix: each endpoint's drawn element, attachments coloured by the probes. */
import { type Matrix, cellState } from "../matrix";
import type { Design } from "../model";
import { networkOf } from "../subnets";

/** The drawn element of a matrix endpoint (a container, a router, or a host's own address). */
export function endpointId(d: Design, name: string): string {
  return name in d.containers ? `containers.${name}` : name in d.routers ? `routers.${name}` : `hosts.${name}`;
}

/**
 * Each attachment (`attach:<endpoint>|networks.<net>` edge) coloured by the probes to its address:
 * "ok" when every one behaved as predicted, "bad" when any did not; unprobed ones are left out.
 */
export function attachmentResults(d: Design, matrix: Matrix): Map<string, "ok" | "bad"> {
  const states = new Map<string, "ok" | "bad">();
  for (const p of matrix.pairs.values()) {
    const state = cellState(p);
    const net = networkOf(d, p.dst_ip);
    if (state === "pending" || !net) continue;
    const edge = `attach:${endpointId(d, p.dst)}|networks.${net}`;
    if (state === "missing" || state === "unexpected") states.set(edge, "bad");
    else if (!states.has(edge)) states.set(edge, "ok");
  }
  return states;
}
