import { describe, expect, it } from "vitest";
import { Matrix, type MatrixJson, cellState } from "../src/matrix";
import { attachmentResults } from "../src/deploy/drawing";
import { inSubnet } from "../src/subnets";
import { twoVlans } from "./fixtures";
import { predicted, probe } from "./wire";

const prediction = (): MatrixJson => ({
  endpoints: [
    { name: "d1", host: "host1", addresses: ["172.16.10.10"] },
    { name: "d4", host: "host2", addresses: ["172.16.20.11"] },
  ],
  pairs: [
    predicted({ src: "d1", dst: "d4", dst_ip: "172.16.20.11", expected: true }),
    predicted({ src: "d4", dst: "d1", dst_ip: "172.16.10.10", expected: false }),
  ],
  reasons: [],
});

describe("matrix merging", () => {
  it("fills predicted pairs with probe results as they stream in", () => {
    const m = Matrix.fromJson(prediction());
    expect(m.counts().pending).toBe(2);
    m.applyProbe(
      probe({ src: "d1", dst: "d4", dst_ip: "172.16.20.11", expected: true, observed: true, rtt_ms: 0.2, ttl: 63 }),
    );
    expect(m.get("d1", "172.16.20.11")).toMatchObject({ observed: true, ttl: 63, rtt_ms: 0.2 });
    expect(cellState(m.get("d1", "172.16.20.11")!)).toBe("reached");
    m.applyProbe(probe({ src: "d4", dst: "d1", dst_ip: "172.16.10.10", expected: false, observed: true }));
    expect(cellState(m.get("d4", "172.16.10.10")!)).toBe("unexpected");
    expect(m.counts()).toMatchObject({ reached: 1, unexpected: 1, pending: 0 });
  });
  it("keeps observations when the prediction arrives after the probes", () => {
    const m = new Matrix();
    m.applyProbe(probe({ src: "d1", dst: "d4", dst_ip: "172.16.20.11", expected: true, observed: false }));
    expect(m.columns()).toEqual([{ dst: "d4", dst_ip: "172.16.20.11" }]);
    m.merge(prediction());
    expect(cellState(m.get("d1", "172.16.20.11")!)).toBe("missing");
    expect(m.endpoints.get("d4")?.host).toBe("host2");
  });
  it("takes a stored matrix's observations over older ones and clears them for a new deployment", () => {
    const m = Matrix.fromJson(prediction());
    const stored = prediction();
    stored.pairs[1] = { ...stored.pairs[1], observed: false };
    m.merge(stored);
    expect(cellState(m.get("d4", "172.16.10.10")!)).toBe("blocked");
    m.clearObserved();
    expect(m.counts().pending).toBe(2);
  });
});

describe("subnets", () => {
  it("knows IPv4 subnets", () => {
    expect(inSubnet("172.16.10.10", "172.16.10.0/24")).toBe(true);
    expect(inSubnet("172.16.11.10/24", "172.16.10.0/24")).toBe(false);
    expect(inSubnet("fe80::1", "172.16.10.0/24")).toBe(false);
  });
});

describe("links coloured by result", () => {
  it("marks an attachment bad when any probe to its address misbehaved, ok when all were as predicted", () => {
    const m = Matrix.fromJson(prediction());
    expect(attachmentResults(twoVlans(), m).size).toBe(0);
    m.applyProbe(probe({ src: "d1", dst: "d4", dst_ip: "172.16.20.11", expected: true, observed: true }));
    m.applyProbe(probe({ src: "d4", dst: "d1", dst_ip: "172.16.10.10", expected: false, observed: true }));
    expect(attachmentResults(twoVlans(), m)).toEqual(
      new Map([
        ["attach:containers.d4|networks.mac20", "ok"],
        ["attach:containers.d1|networks.mac10", "bad"],
      ]),
    );
  });
});
