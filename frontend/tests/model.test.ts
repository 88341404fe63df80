import { describe, expect, it } from "vitest";
import {
  addEndpoint,
  addHost,
  addNetwork,
  addNic,
  addSegment,
  connect,
  disconnect,
  emptyDesign,
  parseId,
  refId,
  remove,
  rename,
  routeBetween,
  setField,
} from "../src/model";
import { twoVlans } from "./fixtures";

describe("element ids", () => {
  it("round-trips NIC ids whose name has a dot", () => {
    const ref = { kind: "nics" as const, host: "host1", name: "enp0s8.100" };
    expect(refId(ref)).toBe("nics.host1.enp0s8.100");
    expect(parseId("nics.host1.enp0s8.100")).toEqual(ref);
    expect(parseId("containers.d1")).toEqual({ kind: "containers", name: "d1" });
  });
  it("rejects what is not an id", () => {
    expect(() => parseId("bogus.x")).toThrow(/not an element id/);
  });
});

describe("drawing a design from nothing", () => {
  it("adds hosts, NICs, a segment, networks and containers and connects them", () => {
    const d = emptyDesign("lab");
    const h1 = addHost(d, { x: 0, y: 0 });
    const h2 = addHost(d);
    expect([h1.name, h2.name]).toEqual(["host1", "host2"]);
    expect(d.hosts.host1.nics).toEqual(["eth0"]);
    expect(addNic(d, "host1").name).toBe("eth1");
    const seg = addSegment(d);
    connect(d, { kind: "nics", host: "host1", name: "eth0" }, seg);
    connect(d, seg, { kind: "nics", host: "host2", name: "eth0" });
    expect(d.segments.lan1.ports).toEqual(["host1.eth0", "host2.eth0"]);
    const n1 = addNetwork(d);
    const n2 = addNetwork(d);
    expect(d.networks[n1.name].subnet).toBe("172.16.10.0/24");
    expect(d.networks[n2.name].subnet).toBe("172.16.20.0/24");
    const c = addEndpoint(d, "containers", "host2");
    expect(connect(d, c, n1)).toMatch(/attached/);
    expect(d.containers.c1).toEqual({ host: "host2", networks: { net1: {} } });
    expect(d.layout["nics.host1.eth0"]).toEqual({ x: 0, y: 0 });
  });

  it("puts a new network on the next VLAN its wire carries", () => {
    const d = emptyDesign("lab");
    addHost(d);
    const seg = addSegment(d);
    connect(d, { kind: "nics", host: "host1", name: "eth0" }, seg);
    expect(d.networks[addNetwork(d).name].parent).toBe("eth0"); // no VLANs yet: the NIC itself
    d.segments.lan1.vlans = [100, 200];
    expect(d.networks[addNetwork(d).name].parent).toBe("eth0.100");
    expect(d.networks[addNetwork(d).name].parent).toBe("eth0.200");
    expect(d.networks[addNetwork(d).name].parent).toBe("eth0");
  });

  it("makes a host the router between the networks its NICs carry", () => {
    const d = twoVlans();
    delete d.hosts.host3.addresses;
    delete d.hosts.host3.forwarding;
    delete d.networks.mac20.gateway;
    expect(routeBetween(d, "host3")).toBe("host host3 routes between mac10, mac20");
    expect(d.hosts.host3).toEqual({
      nics: ["enp0s8"],
      forwarding: true,
      addresses: { "enp0s8.100": "172.16.10.1/24", "enp0s8.200": "172.16.20.1/24" },
    });
    expect(d.networks.mac20.gateway).toBe("172.16.20.1"); // the subnet's first address
    const one = emptyDesign();
    addHost(one);
    addNetwork(one);
    expect(() => routeBetween(one, "host1")).toThrow(
      "host host1 has 1 network on its NICs: it routes between two or more",
    );
  });

  it("gives a new host the NIC name the other hosts use", () => {
    const d = emptyDesign("lab");
    addHost(d);
    rename(d, { kind: "nics", host: "host1", name: "eth0" }, "enp0s8");
    addHost(d, { x: 5, y: 6 });
    expect(d.hosts.host2.nics).toEqual(["enp0s8"]);
    expect(d.layout["nics.host2.enp0s8"]).toEqual({ x: 5, y: 6 });
  });

  it("says why two elements cannot be connected, and refuses a second identical link", () => {
    const d = twoVlans();
    expect(() => connect(d, { kind: "containers", name: "d1" }, { kind: "segments", name: "lan" })).toThrow(
      /cannot connect container d1 to segment lan/,
    );
    expect(() => connect(d, { kind: "containers", name: "d1" }, { kind: "networks", name: "mac10" })).toThrow(
      /already on mac10/,
    );
  });

  it("sets a network's parent from a NIC and keeps the VLAN id", () => {
    const d = twoVlans();
    d.hosts.host1.nics.push("eth9");
    connect(d, { kind: "networks", name: "mac20" }, { kind: "nics", host: "host1", name: "eth9" });
    expect(d.networks.mac20.parent).toBe("eth9.200");
  });

  it("needs a host for a container", () => {
    expect(() => addEndpoint(emptyDesign(), "containers", "nohost")).toThrow(/no host nohost/);
  });
});

describe("renaming", () => {
  it("renames a host everywhere it is referred to", () => {
    const d = twoVlans();
    rename(d, { kind: "hosts", name: "host1" }, "alpha");
    expect(Object.keys(d.hosts)).toEqual(["alpha", "host2", "host3"]);
    expect(d.containers.d1.host).toBe("alpha");
    expect(d.segments.lan.ports[0]).toBe("alpha.enp0s8");
    expect(d.layout["nics.alpha.enp0s8"]).toEqual({ x: 1, y: 2 });
  });
  it("renames a network in attachments, shims and the layout", () => {
    const d = twoVlans();
    d.layout["networks.mac10"] = { x: 5, y: 5 };
    rename(d, { kind: "networks", name: "mac10" }, "blue");
    expect(d.containers.d1.networks).toEqual({ blue: { ip: "172.16.10.10" } });
    expect(d.hosts.host1.shim?.network).toBe("blue");
    expect(d.layout["networks.blue"]).toEqual({ x: 5, y: 5 });
  });
  it("renames a NIC in ports and host addresses, and the parents once no host keeps the old name", () => {
    const d = twoVlans();
    rename(d, { kind: "nics", host: "host3", name: "enp0s8" }, "eth1");
    expect(d.hosts.host3.addresses).toEqual({ "eth1.100": "172.16.10.1/24", "eth1.200": "172.16.20.1/24" });
    expect(d.segments.lan.ports).toContain("host3.eth1");
    expect(d.networks.mac10.parent).toBe("enp0s8.100");
    rename(d, { kind: "nics", host: "host1", name: "enp0s8" }, "eth1");
    rename(d, { kind: "nics", host: "host2", name: "enp0s8" }, "eth1");
    expect(d.networks.mac10.parent).toBe("eth1.100");
  });
  it("refuses bad and taken names with the command line's wording", () => {
    const d = twoVlans();
    expect(() => rename(d, { kind: "containers", name: "d1" }, "D1")).toThrow(/not a usable name/);
    expect(() => rename(d, { kind: "containers", name: "d1" }, "d2")).toThrow(/already a container named d2/);
    expect(() => rename(d, { kind: "nics", host: "host1", name: "enp0s8" }, "a-very-long-nic-name")).toThrow(
      /not a usable interface name/,
    );
  });
});

describe("deleting", () => {
  it("deletes a host with its containers, ports and layout", () => {
    const d = twoVlans();
    remove(d, { kind: "hosts", name: "host1" });
    expect(Object.keys(d.containers)).toEqual(["d3", "d4"]);
    expect(d.segments.lan.ports).toEqual(["host2.enp0s8", "host3.enp0s8"]);
    expect(d.layout).toEqual({});
  });
  it("deletes a network with its attachments and the shim on it", () => {
    const d = twoVlans();
    remove(d, { kind: "networks", name: "mac10" });
    expect(d.containers.d1.networks).toEqual({});
    expect(d.hosts.host1.shim).toBeUndefined();
  });
  it("deletes a NIC with its sub-interface addresses and ports", () => {
    const d = twoVlans();
    remove(d, { kind: "nics", host: "host3", name: "enp0s8" });
    expect(d.hosts.host3.nics).toEqual([]);
    expect(d.hosts.host3.addresses).toEqual({});
    expect(d.segments.lan.ports).not.toContain("host3.enp0s8");
  });
  it("disconnects an attachment", () => {
    const d = twoVlans();
    disconnect(d, { kind: "networks", name: "mac20" }, { kind: "containers", name: "d2" });
    expect(d.containers.d2.networks).toEqual({});
  });
});

describe("fields", () => {
  it("sets nested fields and drops emptied ones so IPAM can fill them", () => {
    const d = twoVlans();
    const d1 = { kind: "containers" as const, name: "d1" };
    setField(d, d1, ["networks", "mac10", "mac"], "02:00:00:00:00:01");
    expect(d.containers.d1.networks.mac10).toEqual({ ip: "172.16.10.10", mac: "02:00:00:00:00:01" });
    setField(d, d1, ["networks", "mac10", "ip"], "");
    expect(d.containers.d1.networks.mac10).toEqual({ mac: "02:00:00:00:00:01" });
    setField(d, { kind: "hosts", name: "host3" }, ["forwarding"], false);
    expect("forwarding" in d.hosts.host3).toBe(false);
  });
});
