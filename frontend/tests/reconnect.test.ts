import { describe, expect, it } from "vitest";
import { type Clock, type SocketLike, entryAfter, reconnectDelay, reconnecting } from "../src/reconnect";

class FakeSocket implements SocketLike {
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
}

/** A clock the test moves by hand; `pending` are the scheduled reconnects and their delays. */
function manualClock() {
  let now = 0;
  const pending: { run: () => void; ms: number; cancelled: boolean }[] = [];
  const clock: Clock = {
    now: () => now,
    later: (run, ms) => {
      const t = { run, ms, cancelled: false };
      pending.push(t);
      return t;
    },
    cancel: (t) => {
      (t as { cancelled: boolean }).cancelled = true;
    },
  };
  const fire = () => {
    const t = pending.shift()!;
    now += t.ms;
    if (!t.cancelled) t.run();
    return t.ms;
  };
  return {
    clock,
    pending,
    fire,
    pass: (ms: number) => {
      now += ms;
    },
  };
}

function follower(cursor: { value: string }) {
  const sockets: FakeSocket[] = [];
  const messages: string[] = [];
  const refusals: number[] = [];
  const time = manualClock();
  const stop = reconnecting(
    {
      url: () => `ws://site/ws/deployments/7/?after=${cursor.value}`,
      message: (d) => messages.push(d),
      refused: (c) => refusals.push(c),
    },
    (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    time.clock,
  );
  return { sockets, messages, refusals, time, stop };
}

describe("reconnectDelay", () => {
  it("doubles from about a second up to 30 s, jittered between half and all of it", () => {
    const low = [1, 2, 3, 4, 5, 6, 7, 12].map((n) => reconnectDelay(n, () => 0));
    const high = [1, 2, 3, 4, 5, 6, 7, 12].map((n) => reconnectDelay(n, () => 0.999999));
    expect(low).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    expect(high.map(Math.round)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    const drawn = new Set(Array.from({ length: 50 }, () => reconnectDelay(3)));
    expect(drawn.size).toBeGreaterThan(40);
  });
});

describe("reconnecting", () => {
  it("reconnects with the cursor of the moment, waiting longer while it keeps dropping", () => {
    const cursor = { value: "0" };
    const f = follower(cursor);
    f.sockets[0].onmessage!({ data: "a" });
    cursor.value = "1700000000000-3";
    f.sockets[0].onclose!({ code: 4503 });
    const first = f.time.fire();
    expect(f.sockets[1].url).toBe("ws://site/ws/deployments/7/?after=1700000000000-3");
    f.sockets[1].onclose!({ code: 1006 });
    const second = f.time.fire();
    f.sockets[2].onclose!({ code: 1006 });
    const third = f.time.fire();
    expect(first).toBeLessThanOrEqual(1000);
    expect(second).toBeGreaterThanOrEqual(1000);
    expect(third).toBeGreaterThanOrEqual(2000);
    expect(f.messages).toEqual(["a"]);
  });

  it("starts the back-off anew after a connection that lived", () => {
    const f = follower({ value: "0" });
    for (let i = 0; i < 4; i++) {
      f.sockets[i].onclose!({ code: 1006 });
      f.time.fire();
    }
    f.time.pass(60_000);
    f.sockets[4].onclose!({ code: 1006 });
    expect(f.time.pending[0].ms).toBeLessThanOrEqual(1000);
  });

  it("does not retry a refusal (the site's 4400 and 4403), and stops for good when told", () => {
    for (const code of [4403, 4400]) {
      const refused = follower({ value: "0" });
      refused.sockets[0].onclose!({ code });
      expect(refused.refusals).toEqual([code]);
      expect(refused.time.pending).toEqual([]);
    }

    const stopped = follower({ value: "0" });
    stopped.sockets[0].onclose!({ code: 1006 });
    stopped.stop();
    stopped.time.fire();
    expect(stopped.sockets).toHaveLength(1);
    expect(stopped.sockets[0].closed).toBe(true);
  });
});

describe("entryAfter", () => {
  it("orders Redis entry ids by time, then by their sequence", () => {
    expect(entryAfter("1700000000000-0", "0")).toBe(true);
    expect(entryAfter("1700000000000-1", "1700000000000-0")).toBe(true);
    expect(entryAfter("1700000000000-1", "1700000000000-1")).toBe(false);
    expect(entryAfter("1700000000001-0", "1700000000000-9")).toBe(true);
    expect(entryAfter("1699999999999-9", "1700000000000-0")).toBe(false);
  });
});
