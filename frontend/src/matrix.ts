/**
 * The reachability matrix: what the design predicts (`POST /api/predict`) merged with what the
 * agents observe (probe events over the websocket, or a finished deployment's stored matrix),
 * and why the site predicts each pair so (the reasons a prediction's pairs share).
 */

import type { components } from "./api/schema";

type Wire = components["schemas"];
/** A probed endpoint (container, router, host) and its addresses. */
export type MatrixEndpoint = Wire["Endpoint"];
/** One source → address pair: predicted (`expected`, `reason`: its index in the matrix's `reasons`), then observed. */
export type Pair = Wire["Pair"];
/** A router or forwarding host the request passed: in by `iif`, out by `oif` (null: it stopped there). */
export type Hop = Wire["Hop"];
/** Why the site predicts a pair so: `rule` a short code, `text` the sentence, the forwarders and networks. */
export type Reason = Wire["Reason"];
export type MatrixJson = Wire["Matrix"];
export type ProbeEvent = Wire["ProbeEvent"];

export type CellState = "pending" | "reached" | "blocked" | "missing" | "unexpected";

export const pairKey = (src: string, dst_ip: string) => `${src}>${dst_ip}`;

export class Matrix {
  readonly endpoints = new Map<string, MatrixEndpoint>();
  readonly pairs = new Map<string, Pair>();
  /** Each pair's predicted reason, by pairKey (kept from the matrix that had one). */
  readonly reasons = new Map<string, Reason>();

  static fromJson(json: MatrixJson): Matrix {
    const m = new Matrix();
    m.merge(json);
    return m;
  }

  /** A copy that shares no map with this one (the maps' pairs, endpoints and reasons are replaced, never changed). */
  copy(): Matrix {
    const m = new Matrix();
    for (const [name, e] of this.endpoints) m.endpoints.set(name, e);
    for (const [key, p] of this.pairs) m.pairs.set(key, p);
    for (const [key, r] of this.reasons) m.reasons.set(key, r);
    return m;
  }

  /** Adds endpoints and pairs; an observation already made is kept unless `json` has one too. */
  merge(json: MatrixJson): void {
    for (const e of json.endpoints) this.endpoints.set(e.name, e);
    for (const p of json.pairs) {
      const key = pairKey(p.src, p.dst_ip);
      const reason = p.reason === null ? undefined : json.reasons[p.reason];
      if (reason) this.reasons.set(key, reason);
      const old = this.pairs.get(key);
      this.pairs.set(
        key,
        old && p.observed === null ? { ...p, observed: old.observed, rtt_ms: old.rtt_ms, ttl: old.ttl } : { ...p },
      );
    }
  }

  /** Records one probe result (a pair no prediction had gets a cell of its own); answers the pair it filled. */
  applyProbe(ev: ProbeEvent): Pair {
    const key = pairKey(ev.src, ev.dst_ip);
    const unpredicted = {
      src: ev.src,
      dst: ev.dst,
      dst_ip: ev.dst_ip,
      expected: ev.expected,
      expected_ttl: null,
      reason: null,
    };
    const pair: Pair = {
      ...(this.pairs.get(key) ?? unpredicted),
      observed: ev.observed,
      rtt_ms: ev.rtt_ms,
      ttl: ev.ttl,
    };
    this.pairs.set(key, pair);
    for (const name of [ev.src, ev.dst]) {
      if (!this.endpoints.has(name)) this.endpoints.set(name, { name, host: "", addresses: [] });
    }
    const dst = this.endpoints.get(ev.dst)!;
    if (!dst.addresses.includes(ev.dst_ip))
      this.endpoints.set(ev.dst, { ...dst, addresses: [...dst.addresses, ev.dst_ip] });
    return pair;
  }

  /** Forgets observations (a new deployment starts); the expectations stay. */
  clearObserved(): void {
    for (const [key, p] of this.pairs) this.pairs.set(key, { ...p, observed: null, rtt_ms: null, ttl: null });
  }

  /** Columns: every address of every endpoint, in endpoint order. */
  columns(): Array<{ dst: string; dst_ip: string }> {
    return [...this.endpoints.values()].flatMap((e) => e.addresses.map((ip) => ({ dst: e.name, dst_ip: ip })));
  }

  get(src: string, dst_ip: string): Pair | undefined {
    return this.pairs.get(pairKey(src, dst_ip));
  }

  /** Why the site predicts `p` so; undefined for a pair no prediction explained. */
  why(p: Pair): Reason | undefined {
    return this.reasons.get(pairKey(p.src, p.dst_ip));
  }

  counts(): Record<CellState, number> {
    const c: Record<CellState, number> = { pending: 0, reached: 0, blocked: 0, missing: 0, unexpected: 0 };
    for (const p of this.pairs.values()) c[cellState(p)]++;
    return c;
  }
}

/**
 * reached / blocked: observed as the design predicts; missing: expected but not reached;
 * unexpected: reached though the design says it must not be.
 */
export function cellState(p: Pair): CellState {
  if (p.observed === null) return "pending";
  if (p.observed === p.expected) return p.observed ? "reached" : "blocked";
  return p.expected ? "missing" : "unexpected";
}
