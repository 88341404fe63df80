import { describe, expect, it } from "vitest";
import { autoLayout, elements, positions } from "../src/graph";
import { twoVlans } from "./fixtures";

describe("drawing a design", () => {
  it("nests NICs and endpoints in their host and joins them with ports, attachments and parents", () => {
    const defs = elements(twoVlans(), { d3: { mac10: { ip: "172.16.10.2" } } });
    const byId = new Map(defs.map((e) => [e.data.id, e]));
    const label = (id: string) => (byId.get(id)?.data as { label?: string } | undefined)?.label;
    expect(byId.get("containers.d1")?.data).toMatchObject({ parent: "hosts.host1", label: "d1\n172.16.10.10" });
    expect(label("containers.d3")).toBe("d3\n172.16.10.2 (ipam)");
    expect(label("nics.host3.enp0s8")).toBe("enp0s8\nenp0s8.100 172.16.10.1/24\nenp0s8.200 172.16.20.1/24");
    expect(byId.get("hosts.host3")?.classes).toContain("forwarding");
    expect(label("segments.lan")).toBe("lan\nVLAN 100, 200");
    expect(label("networks.mac10")).toBe("mac10\nenp0s8.100 · bridge\n172.16.10.0/24");
    expect(byId.has("port:nics.host2.enp0s8|segments.lan")).toBe(true);
    expect(byId.has("attach:containers.d4|networks.mac20")).toBe(true);
    expect(byId.has("shim:hosts.host1|networks.mac10")).toBe(true);
    expect(byId.has("hostaddr:nics.host3.enp0s8|networks.mac20")).toBe(true);
    expect(label("hostaddr:nics.host3.enp0s8|networks.mac20")).toBeUndefined(); // the NIC's label says the address
    // mac20's parent is drawn on the hosts that have something on mac20 only
    const parents = defs
      .filter((e) => e.data.id.startsWith("parent:networks.mac20|"))
      .map((e) => e.data.id)
      .sort();
    expect(parents).toEqual(["parent:networks.mac20|nics.host1.enp0s8", "parent:networks.mac20|nics.host2.enp0s8"]);
  });

  it("lays out 50 hosts with 500 containers without two nodes on one spot", () => {
    const d = twoVlans();
    d.hosts = {};
    d.containers = {};
    for (let h = 0; h < 50; h++) {
      d.hosts[`h${h}`] = { nics: ["eth0"] };
      for (let c = 0; c < 10; c++) d.containers[`c${h}-${c}`] = { host: `h${h}`, networks: { mac10: {} } };
    }
    d.segments = {};
    d.layout = {};
    const spots = Object.entries(positions(d))
      .filter(([id]) => !id.startsWith("hosts."))
      .map(([, p]) => `${p.x},${p.y}`);
    expect(new Set(spots).size).toBe(spots.length);
    expect(elements(d).filter((e) => e.group === "nodes")).toHaveLength(50 + 50 + 500 + 2);
  });

  it("puts a host's unplaced children beside its placed ones", () => {
    const d = twoVlans();
    d.layout = { "nics.host2.enp0s8": { x: 1000, y: 1000 } };
    const auto = autoLayout(d);
    const placed = positions(d);
    expect(placed["nics.host2.enp0s8"]).toEqual({ x: 1000, y: 1000 });
    const dx = 1000 - auto["nics.host2.enp0s8"].x;
    expect(placed["containers.d3"].x).toBe(auto["containers.d3"].x + dx);
    expect(placed["containers.d1"]).toEqual(auto["containers.d1"]);
  });
});
