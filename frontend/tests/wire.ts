/** Wire shapes (the generated API types) as the site sends them, every field present: a test names only the fields it is about. */
import type { Pair, ProbeEvent } from "../src/matrix";

type Named<T, K extends keyof T> = Pick<T, K> & Partial<T>;

export const probe = (p: Named<ProbeEvent, "src" | "dst" | "dst_ip" | "expected" | "observed">): ProbeEvent => ({
  kind: "probe",
  deployment: "dep1",
  host: "host1",
  rtt_ms: null,
  ttl: null,
  ...p,
});

export const predicted = (p: Named<Pair, "src" | "dst" | "dst_ip" | "expected">): Pair => ({
  observed: null,
  rtt_ms: null,
  ttl: null,
  expected_ttl: null,
  reason: null,
  ...p,
});
