import { describe, expect, it } from "vitest";
import { Matrix, type MatrixJson } from "../src/matrix";
import { pathWords, reasonParts, reasonWords } from "../src/matrixview";
import { predicted, probe } from "./wire";

/** Part of the site's prediction of examples/two-vlans-routed.yaml, with an IPv6 pair a private parent blocks. */
const prediction = (): MatrixJson => ({
  endpoints: [
    { name: "d1", host: "host1", addresses: ["172.16.10.10", "fd00:10::10"] },
    { name: "d4", host: "host2", addresses: ["172.16.20.11"] },
    { name: "host1", host: "host1", addresses: ["172.16.10.250"] },
  ],
  pairs: [
    {
      src: "d1",
      dst: "d4",
      dst_ip: "172.16.20.11",
      expected: true,
      observed: null,
      rtt_ms: null,
      ttl: null,
      expected_ttl: 63,
      reason: 0,
    },
    {
      src: "d4",
      dst: "host1",
      dst_ip: "172.16.10.250",
      expected: false,
      observed: null,
      rtt_ms: null,
      ttl: null,
      expected_ttl: null,
      reason: 1,
    },
    {
      src: "d4",
      dst: "d1",
      dst_ip: "fd00:10::10",
      expected: false,
      observed: null,
      rtt_ms: null,
      ttl: null,
      expected_ttl: null,
      reason: 2,
    },
    {
      src: "host1",
      dst: "d1",
      dst_ip: "172.16.10.10",
      expected: false,
      observed: null,
      rtt_ms: null,
      ttl: null,
      expected_ttl: null,
      reason: 3,
    },
  ],
  reasons: [
    {
      rule: "routed",
      text: "routed by host3 (ip_forward), TTL 63",
      networks: ["mac10", "mac20"],
      path: [{ node: "host3", iif: "enp0s8.100", oif: "enp0s8.200" }],
    },
    {
      rule: "reply-no-route",
      text: "blocked: the reply from host1 is lost: no route to 172.16.20.0/24 on host1",
      networks: ["mac20", "mac10"],
      path: [{ node: "host3", iif: "enp0s8.200", oif: "enp0s8.100" }],
    },
    {
      rule: "no-route",
      text: "blocked: no route to fd00:10::/64 on host3",
      networks: ["mac20"],
      path: [{ node: "host3", iif: "enp0s8.200", oif: null }],
    },
    {
      rule: "no-shim",
      text: "blocked: a macvlan child and its parent host do not talk through host1.enp0s8",
      networks: [],
      path: [],
    },
  ],
});

describe("the site's reasons in the matrix view", () => {
  it("resolves each pair's reason from the matrix's table, for IPv6 pairs too", () => {
    const m = Matrix.fromJson(prediction());
    expect(m.why(m.get("d1", "172.16.20.11")!)?.rule).toBe("routed");
    expect(m.why(m.get("d4", "fd00:10::10")!)?.text).toBe("blocked: no route to fd00:10::/64 on host3");
  });
  it("reads the path: forwarded, stopped at a forwarder, never left, reply lost", () => {
    const m = Matrix.fromJson(prediction());
    const way = (src: string, ip: string) => {
      const p = m.get(src, ip)!;
      return pathWords(p, m.why(p)!);
    };
    expect(way("d1", "172.16.20.11")).toBe("d1 → host3 (enp0s8.100 → enp0s8.200) → d4");
    expect(way("d4", "fd00:10::10")).toBe("d4 → host3 (in enp0s8.200) ✗");
    expect(way("host1", "172.16.10.10")).toBe("host1 ✗");
    expect(way("d4", "172.16.10.250")).toBe("d4 → host3 (enp0s8.200 → enp0s8.100) → host1, the reply ✗");
    expect(reasonWords(m, m.get("d1", "172.16.20.11")!)).toBe(
      "routed by host3 (ip_forward), TTL 63 (routed). Path: d1 → host3 (enp0s8.100 → enp0s8.200) → d4",
    );
  });
  it("highlights the endpoints, the forwarders and the networks crossed", () => {
    const m = Matrix.fromJson(prediction());
    expect(reasonParts(m, m.get("d1", "172.16.20.11")!)).toEqual({
      endpoints: ["d1", "host3", "d4"],
      networks: ["mac10", "mac20"],
    });
  });
  it("keeps a pair's reason when probes and a stored matrix without this pair's reason come later", () => {
    const m = Matrix.fromJson(prediction());
    m.applyProbe(probe({ src: "d1", dst: "d4", dst_ip: "172.16.20.11", expected: true, observed: true, ttl: 63 }));
    m.merge({
      endpoints: [],
      pairs: [predicted({ src: "d4", dst: "d1", dst_ip: "fd00:10::10", expected: false, observed: false })],
      reasons: [],
    });
    expect(m.why(m.get("d1", "172.16.20.11")!)?.rule).toBe("routed");
    expect(m.why(m.get("d4", "fd00:10::10")!)?.rule).toBe("no-route");
    expect(reasonWords(new Matrix(), m.get("d1", "172.16.20.11")!)).toBe("No reason predicted for this pair.");
  });
});
