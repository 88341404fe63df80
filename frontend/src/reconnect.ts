/**
 * Websockets that come back after a dropped connection (a restarted site, a Redis the server
 * cannot read: close code 4503), waiting longer each time the connection keeps dropping:
 * about 1, 2, 4 ... 30 s, each delay drawn between half and all of that so that the browsers of a
 * whole class do not all return at the same instant. The site's refusals (RefusalCloseCode of the
 * generated API types, from contract/closes.py) are not retried: retrying cannot cure them.
 */
import type { components } from "./api/schema";

export type RefusalCloseCode = components["schemas"]["RefusalCloseCode"];
/** Every refusal code once: tsc fails here when the site's list gains or loses one. */
const REFUSALS: Record<RefusalCloseCode, true> = { 4400: true, 4403: true };
const refusal = (code: number): code is RefusalCloseCode => code in REFUSALS;
const FIRST_MS = 1000;
const CAP_MS = 30_000;
/** A connection that lived this long was fine: the next drop starts the back-off anew. */
const STEADY_MS = 10_000;

/** The wait before attempt `failures` (1, 2, ...) in a row; `random` in [0, 1). */
export function reconnectDelay(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, FIRST_MS * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

export interface SocketLike {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  close(): void;
}

export interface Follow {
  /** The address to open, read anew for every attempt (so it carries the latest cursor). */
  url(): string;
  message(data: string): void;
  refused(code: RefusalCloseCode): void;
}

export interface Clock {
  now(): number;
  later(run: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

const browserClock: Clock = {
  now: () => Date.now(),
  later: (run, ms) => setTimeout(run, ms),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Follows `follow.url()` until the answered function is called (or the server refuses). */
export function reconnecting(
  follow: Follow,
  connect: (url: string) => SocketLike = (url) => new WebSocket(url) as unknown as SocketLike,
  clock: Clock = browserClock,
): () => void {
  let socket: SocketLike | null = null;
  let timer: unknown = null;
  let failures = 0;
  let stopped = false;
  const open = () => {
    timer = null;
    const opened = clock.now();
    const current = connect(follow.url());
    socket = current;
    current.onmessage = (ev) => follow.message(String(ev.data));
    current.onclose = (ev) => {
      if (stopped || socket !== current) return;
      if (refusal(ev.code)) return follow.refused(ev.code);
      failures = (clock.now() - opened >= STEADY_MS ? 0 : failures) + 1;
      timer = clock.later(open, reconnectDelay(failures));
    };
  };
  open();
  return () => {
    stopped = true;
    if (timer !== null) clock.cancel(timer);
    socket?.close();
  };
}

/** Whether entry id `id` (`<ms>-<n>`) comes after the cursor `after` (`0` or an entry id). */
export function entryAfter(id: string, after: string): boolean {
  const [ms, n] = id.split("-").map(Number);
  const [afterMs, afterN = 0] = after.split("-").map(Number);
  return ms > afterMs || (ms === afterMs && n > afterN);
}
