import { describe, expect, it } from "vitest";
import { cellState } from "../src/matrix";
import { type Followed, type Message, fresh, predicted, reduce, stated } from "../src/deploy/reducer";
import { predicted as pair, probe } from "./wire";

/** A prediction of d1 ⇄ d4: d1 reaches d4, d4 must not reach d1. */
const prediction = {
  endpoints: [
    { name: "d1", host: "host1", addresses: ["172.16.10.10"] },
    { name: "d4", host: "host2", addresses: ["172.16.20.11"] },
  ],
  pairs: [
    pair({ src: "d1", dst: "d4", dst_ip: "172.16.20.11", expected: true, reason: 0 }),
    pair({ src: "d4", dst: "d1", dst_ip: "172.16.10.10", expected: false }),
  ],
  reasons: [{ rule: "routed", text: "routed by host3", path: [], networks: ["mac10", "mac20"] }],
};

let seq = 0;
/** The stream's next message (entry ids in increasing order, as Redis gives them). */
const entry = (event: Message["event"]): Message => ({ id: `1700000000000-${seq++}`, event });
const step = (host: string, name: string, status: "started" | "done" | "failed", detail = "") =>
  entry({ kind: "step", deployment: "dep1", host, step: name, status, detail });
const state = (s: string, detail = "") => entry({ kind: "deployment", deployment: "dep1", state: s, detail });
const finished = (host: string, ok: boolean, detail = "") =>
  entry({ kind: "finished", deployment: "dep1", host, ok, detail });
const probed = (src: string, dst: string, dst_ip: string, expected: boolean, observed: boolean) =>
  entry(probe({ src, dst, dst_ip, expected, observed }));

const replay = (messages: Message[], from: Followed = predicted(fresh(), prediction)) => messages.reduce(reduce, from);
const steps = (f: Followed, host: string) =>
  [...(f.steps.get(host)?.values() ?? [])].map((s) => `${s.step}:${s.status}`);

describe("the deployment reducer", () => {
  it("keeps each host's steps in the order they began, a step's later event replacing its earlier one", () => {
    const f = replay([
      step("host1", "links", "started"),
      step("host2", "links", "started"),
      step("host1", "links", "done"),
      step("host1", "routes", "failed", "RTNETLINK answers: File exists"),
    ]);
    expect(steps(f, "host1")).toEqual(["links:done", "routes:failed"]);
    expect(steps(f, "host2")).toEqual(["links:started"]);
    expect(f.steps.get("host1")?.get("routes")?.detail).toBe("RTNETLINK answers: File exists");
  });

  it("applies an entry once: the same entry again after a reconnect, or an older one, changes nothing", () => {
    const first = step("host1", "links", "started");
    const second = step("host1", "links", "done");
    const f = replay([first, second]);
    expect(reduce(f, second)).toBe(f);
    expect(reduce(f, first)).toBe(f);
    expect(steps(f, "host1")).toEqual(["links:done"]);
    expect(f.cursor).toBe(second.id);
  });

  it("resumes from its cursor: the stream sent again from the start after a reconnect ends where the live one did", () => {
    const stream = [
      state("deploying"),
      step("host1", "links", "done"),
      probed("d1", "d4", "172.16.20.11", true, true),
      finished("host1", true),
      probed("d4", "d1", "172.16.10.10", false, true),
      state("done"),
    ];
    const live = replay(stream);
    const dropped = replay(stream.slice(0, 3));
    expect(dropped.cursor).toBe(stream[2].id);
    const resumed = replay(stream, dropped);
    expect(resumed.cursor).toBe(live.cursor);
    expect(resumed.state).toBe("done");
    expect(steps(resumed, "host1")).toEqual(["links:done"]);
    expect([...resumed.matrix.pairs.values()].map(cellState)).toEqual(["reached", "unexpected"]);
  });

  it("fills the predicted cells with the probes, leaving the state it came from as it was", () => {
    const before = predicted(fresh(), prediction);
    const after = reduce(before, probed("d4", "d1", "172.16.10.10", false, true));
    expect(cellState(after.matrix.get("d4", "172.16.10.10")!)).toBe("unexpected");
    expect(cellState(before.matrix.get("d4", "172.16.10.10")!)).toBe("pending");
    expect(after.matrix.why(after.matrix.get("d1", "172.16.20.11")!)?.rule).toBe("routed");
  });

  it("gives a probe of a pair the prediction lacks a cell of its own, without touching the predicted ones", () => {
    const f = replay([probed("d1", "r9", "10.9.9.9", true, false)]);
    expect(f.matrix.columns()).toContainEqual({ dst: "r9", dst_ip: "10.9.9.9" });
    expect(cellState(f.matrix.get("d1", "10.9.9.9")!)).toBe("missing");
    expect(f.matrix.counts()).toMatchObject({ pending: 2, missing: 1 });
  });

  it("follows the state entries; once torn down, the observations go and the prediction stays", () => {
    const up = replay([
      state("deploying"),
      probed("d1", "d4", "172.16.20.11", true, true),
      state("failed", "host2: the agent is gone"),
    ]);
    expect([up.state, up.detail]).toEqual(["failed", "host2: the agent is gone"]);
    const down = replay([state("tearing_down"), state("torn_down")], up);
    expect([down.state, down.detail]).toEqual(["torn_down", ""]);
    expect(down.matrix.counts()).toMatchObject({ pending: 2 });
    expect(down.matrix.pairs.size).toBe(2);
    expect(cellState(up.matrix.get("d1", "172.16.20.11")!)).toBe("reached");
  });

  it("records each host's outcome when its agent finishes, and the site's answers to deploy and teardown", () => {
    const f = replay([finished("host1", true), finished("host2", false, "apply failed")]);
    expect([...f.finished.values()].map((e) => [e.host, e.ok, e.detail])).toEqual([
      ["host1", true, ""],
      ["host2", false, "apply failed"],
    ]);
    const asked = stated(replay([state("failed", "host2: apply failed")]), "tearing_down");
    expect([asked.state, asked.detail]).toEqual(["tearing_down", ""]);
  });
});
